using System.Buffers;

namespace System.Text;

/// <summary>netstandard2.1 stand-in for the part of <c>System.Text.Rune</c> the grammar parser uses: one scalar value decoded from UTF-16.</summary>
internal readonly struct Rune
{
    private Rune(int value) => Value = value;

    public int Value { get; }

    public static OperationStatus DecodeFromUtf16(ReadOnlySpan<char> source, out Rune result, out int charsConsumed)
    {
        result = default;
        charsConsumed = 0;
        if (source.IsEmpty)
        {
            return OperationStatus.NeedMoreData;
        }

        char c = source[0];
        if (!char.IsSurrogate(c))
        {
            result = new Rune(c);
            charsConsumed = 1;
            return OperationStatus.Done;
        }

        if (char.IsHighSurrogate(c))
        {
            if (source.Length < 2)
            {
                return OperationStatus.NeedMoreData;
            }

            if (char.IsLowSurrogate(source[1]))
            {
                result = new Rune(char.ConvertToUtf32(c, source[1]));
                charsConsumed = 2;
                return OperationStatus.Done;
            }
        }

        charsConsumed = 1;
        return OperationStatus.InvalidData;
    }
}
