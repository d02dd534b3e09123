namespace EdgeLlm.Kernels.Tokenization;

/// <summary>
/// Kind of a vocabulary entry. The numbers are those of GGUF's <c>tokenizer.ggml.token_type</c>, which are
/// also SentencePiece's <c>ModelProto.SentencePiece.Type</c> values.
/// </summary>
public enum TokenType
{
    Undefined = 0,
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}
