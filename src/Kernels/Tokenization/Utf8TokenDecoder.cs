using System.Text;

namespace EdgeLlm.Kernels.Tokenization;

/// <summary>
/// Turns a stream of token ids into text without ever splitting a UTF-8 character across two returned chunks:
/// a character spelled by several byte tokens (an emoji, a CJK character) comes out whole once its last byte
/// arrives. Concatenating every <see cref="Append"/> and the final <see cref="Flush"/> gives exactly
/// <see cref="LlamaTokenizer.Decode"/> of the same ids (when created without a previous token). Not thread-safe.
/// </summary>
public sealed class Utf8TokenDecoder
{
    private readonly LlamaTokenizer _tokenizer;

    // The BCL's stateful UTF-8 decoder holds an incomplete trailing sequence between calls and replaces invalid
    // bytes with U+FFFD exactly as a one-shot Encoding.UTF8.GetString would.
    private readonly Decoder _decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private char[] _chars = new char[64];
    private int? _previous;

    internal Utf8TokenDecoder(LlamaTokenizer tokenizer, int? previousToken)
    {
        _tokenizer = tokenizer;
        _previous = previousToken;
    }

    /// <summary>The token appended last (or the one given at creation).</summary>
    public int? PreviousToken => _previous;

    /// <summary>Adds one token; returns the complete characters now available (possibly "").</summary>
    public string Append(int tokenId)
    {
        ReadOnlySpan<byte> bytes = _tokenizer.PieceBytesAfter(_previous, tokenId);
        _previous = tokenId;
        return bytes.IsEmpty ? "" : Convert(bytes, flush: false);
    }

    /// <summary>Returns whatever is held back (an incomplete sequence comes out as U+FFFD) and starts afresh.</summary>
    public string Flush() => Convert([], flush: true);

    private string Convert(ReadOnlySpan<byte> bytes, bool flush)
    {
        // At most 3 held bytes plus the new ones, each giving at most one UTF-16 char.
        int needed = bytes.Length + 4;
        if (_chars.Length < needed)
        {
            _chars = new char[Math.Max(needed, _chars.Length * 2)];
        }

        int n = _decoder.GetChars(bytes, _chars, flush);
        return n == 0 ? "" : new string(_chars, 0, n);
    }
}
