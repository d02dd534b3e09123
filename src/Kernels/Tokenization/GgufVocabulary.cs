using EdgeLlm.Kernels.Gguf;

namespace EdgeLlm.Kernels.Tokenization;

/// <summary>Reads and writes a Llama SentencePiece vocabulary as llama.cpp's tokenizer.ggml.* keys.</summary>
public static class GgufVocabulary
{
    public static LlamaTokenizer Load(GgufFile file)
    {
        string model = file.GetString("tokenizer.ggml.model");
        if (model != "llama")
        {
            throw new GgufFormatException(file.FilePath, $"tokenizer.ggml.model '{model}' is not supported (only 'llama' SentencePiece)");
        }

        string[] pieces = Array("tokenizer.ggml.tokens").AsStringArray();
        float[] scores = file.TryGet("tokenizer.ggml.scores")?.AsFloatArray() ?? new float[pieces.Length];
        int[]? types = file.TryGet("tokenizer.ggml.token_type")?.AsInt32Array();
        if (scores.Length != pieces.Length || (types is not null && types.Length != pieces.Length))
        {
            throw new GgufFormatException(file.FilePath, $"tokenizer arrays disagree: {pieces.Length} tokens, {scores.Length} scores, {types?.Length} types");
        }

        int Id(string key, int fallback)
        {
            long id = file.TryGetInt64(key) ?? fallback;
            if (id < 0 || id >= pieces.Length)
            {
                throw new GgufFormatException(file.FilePath, $"{key} = {id} is outside the vocabulary of {pieces.Length}");
            }

            return (int)id;
        }

        return new LlamaTokenizer(
            pieces,
            scores,
            types?.Select(t => (TokenType)t).ToArray(),
            bosId: Id("tokenizer.ggml.bos_token_id", 1),
            eosId: Id("tokenizer.ggml.eos_token_id", 2),
            unknownId: Id("tokenizer.ggml.unknown_token_id", 0),
            addSpacePrefix: file.TryGetBool("tokenizer.ggml.add_space_prefix") ?? true);

        GgufValue Array(string key) => file.TryGet(key) ?? throw new GgufFormatException(file.FilePath, $"missing metadata key '{key}'");
    }

    public static void Write(GgufWriter writer, LlamaTokenizer tokenizer)
    {
        writer.AddString("tokenizer.ggml.model", "llama");
        writer.AddStringArray("tokenizer.ggml.tokens", tokenizer.Pieces);
        writer.AddFloat32Array("tokenizer.ggml.scores", tokenizer.Scores);
        writer.AddInt32Array("tokenizer.ggml.token_type", tokenizer.Types.Select(t => (int)t).ToArray());
        writer.AddUInt32("tokenizer.ggml.bos_token_id", (uint)tokenizer.BosId);
        writer.AddUInt32("tokenizer.ggml.eos_token_id", (uint)tokenizer.EosId);
        writer.AddUInt32("tokenizer.ggml.unknown_token_id", (uint)tokenizer.UnknownId);
        writer.AddBool("tokenizer.ggml.add_bos_token", true);
        writer.AddBool("tokenizer.ggml.add_eos_token", false);
    }
}
