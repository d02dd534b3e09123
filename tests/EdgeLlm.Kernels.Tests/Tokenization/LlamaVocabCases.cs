using EdgeLlm.Kernels.Tokenization;

namespace EdgeLlm.Kernels.Tests.Tokenization;

/// <summary>
/// llama.cpp's tokenizer cases for the Llama SPM vocabulary. Read as llama.cpp's test-tokenizer-0 reads them: the
/// whole .inp file split on "\n__ggml_vocab_test__\n" (so an input may be empty or consist of newlines), and one
/// line of space-separated ids (without BOS) per input in .out.
/// </summary>
internal static class LlamaVocabCases
{
    private const string Separator = "\n__ggml_vocab_test__\n";

    private static readonly Lazy<IReadOnlyList<(string Text, int[] Ids)>> Cases = new(Load);

    private static readonly Lazy<LlamaTokenizer> FromBin = new(() =>
        LlamaTokenizer.FromLlama2cFile(SharedData.PathOf("tokenizers", "llama2", "tokenizer.bin"), expectedVocabSize: 32000));

    private static readonly Lazy<LlamaTokenizer> FromModel = new(() =>
        LlamaTokenizer.FromSentencePieceModel(SharedData.PathOf("tokenizers", "llama2", "tokenizer.model")));

    public static IReadOnlyList<(string Text, int[] Ids)> All => Cases.Value;

    /// <summary>The Llama-2 vocabulary from llama2.c's tokenizer.bin.</summary>
    public static LlamaTokenizer Llama2Bin => FromBin.Value;

    /// <summary>The Llama-2 vocabulary from SentencePiece's tokenizer.model.</summary>
    public static LlamaTokenizer Llama2Model => FromModel.Value;

    /// <summary>One NUnit case per reference input (index and a readable name; the data is looked up lazily).</summary>
    public static IEnumerable<TestCaseData> Indices()
    {
        string inp = SharedData.PathOf("tokenizers", "llama2", "ggml-vocab-llama-spm.gguf.inp");
        int count = Split(File.ReadAllText(inp)).Count;
        for (int i = 0; i < count; i++)
        {
            yield return new TestCaseData(i).SetArgDisplayNames($"case{i:D2}");
        }
    }

    public static string Show(string text) =>
        System.Text.Json.JsonSerializer.Serialize(text);

    private static List<(string, int[])> Load()
    {
        string inp = File.ReadAllText(SharedData.PathOf("tokenizers", "llama2", "ggml-vocab-llama-spm.gguf.inp"));
        string[] outLines = File.ReadAllLines(SharedData.PathOf("tokenizers", "llama2", "ggml-vocab-llama-spm.gguf.out"));
        List<string> inputs = Split(inp);
        if (inputs.Count != outLines.Length)
        {
            throw new InvalidDataException($"{inputs.Count} inputs but {outLines.Length} expected outputs");
        }

        return [.. inputs.Select((text, i) => (text, outLines[i]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(int.Parse)
            .ToArray()))];
    }

    private static List<string> Split(string raw)
    {
        var inputs = new List<string>();
        int pos = 0;
        while (pos < raw.Length)
        {
            int next = raw.IndexOf(Separator, pos, StringComparison.Ordinal);
            if (next < 0)
            {
                inputs.Add(raw[pos..]);
                break;
            }

            inputs.Add(raw[pos..next]);
            pos = next + Separator.Length;
        }

        return inputs;
    }
}
