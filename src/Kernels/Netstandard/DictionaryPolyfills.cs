namespace EdgeLlm.Kernels;

/// <summary>
/// netstandard2.1 stand-in for .NET 10's span-keyed <c>Dictionary.AlternateLookup</c>: the tokenizer's merge
/// lookups allocate a string per probe here, which costs time on a board but gives the same answers.
/// </summary>
internal static class DictionaryPolyfills
{
    public static bool TryGetValue(this Dictionary<string, int> dictionary, ReadOnlySpan<char> key, out int value) =>
        dictionary.TryGetValue(key.ToString(), out value);
}
