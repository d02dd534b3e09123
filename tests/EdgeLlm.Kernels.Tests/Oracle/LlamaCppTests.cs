using System.Runtime.Intrinsics.X86;
using System.Text;
using EdgeLlm.Kernels.Gguf;
using LLama.Extensions;
using LLama.Native;

namespace EdgeLlm.Kernels.Tests.Oracle;

/// <summary>Proves the llama.cpp oracle harness itself on real files.</summary>
public class LlamaCppTests
{
    private static string VocabPath => SharedData.PathOf("tokenizers", "llama2", "ggml-vocab-llama-spm.gguf");

    [Test]
    public void NativeLibraryLoadsTheBestCpuVariant()
    {
        string native = LlamaCpp.NativeLibrary;
        TestContext.Out.WriteLine(native);

        Assert.That(native, Does.Contain("libllama.so").Or.Contain("llama"));
        if (Avx512F.IsSupported)
        {
            Assert.That(native, Does.Contain("/avx512/"));
        }
        else if (Avx2.IsSupported)
        {
            Assert.That(native, Does.Contain("/avx2/"));
        }
    }

    [Test]
    public void ContextParametersReachLlamaCppAsIntended()
    {
        // What LLamaSharp 0.30 actually hands to llama_init_from_model for a 7-token, 2-thread evaluation.
        LlamaCpp.ContextParameters(7, 2).ToLlamaContextParams(out LLamaContextParams native);

        Assert.Multiple(() =>
        {
            Assert.That(native.n_ctx, Is.EqualTo(7u));
            Assert.That(native.n_batch, Is.EqualTo(7u));
            Assert.That(native.n_ubatch, Is.EqualTo(7u));
            Assert.That(native.n_seq_max, Is.EqualTo(1u));
            Assert.That(native.n_threads, Is.EqualTo(2));
            Assert.That(native.n_threads_batch, Is.EqualTo(2));
            Assert.That(native.type_k, Is.EqualTo(GGMLType.GGML_TYPE_F32));
            Assert.That(native.type_v, Is.EqualTo(GGMLType.GGML_TYPE_F32));
            Assert.That(native.llama_flash_attn_type, Is.EqualTo(LLamaFlashAttentionType.LLAMA_FLASH_ATTENTION_TYPE_DISABLED));
            Assert.That(native.embeddings, Is.False);
        });
    }

    [TestCaseSource(nameof(VocabCases))]
    public void TokenizesLikeLlamaCppTestCases(string text, int[] expected)
    {
        int[] actual = LlamaCpp.Tokenize(VocabPath, text, addBos: false);
        Assert.That(actual, Is.EqualTo(expected));
    }

    [Test]
    public void AddBosPrependsTheBosId()
    {
        int[] plain = LlamaCpp.Tokenize(VocabPath, "Hello world", addBos: false);
        int[] withBos = LlamaCpp.Tokenize(VocabPath, "Hello world", addBos: true);

        Assert.That(withBos, Is.EqualTo((int[])[1, .. plain]));
    }

    [Test]
    public void CaseFileHoldsAllCases()
    {
        Assert.That(VocabCases().Count(), Is.EqualTo(46));
    }

    [Test]
    public void LogitsOnAFileWithoutTensorsFailsAtTheFirstTensorWithTheLlamaCppLog()
    {
        var e = Assert.Throws<InvalidOperationException>(() => LlamaCpp.Logits(VocabPath, [1, 2]));
        TestContext.Out.WriteLine(e!.Message);
        // Its metadata gets through hparams and vocab; the first thing missing is the first tensor llama.cpp wants.
        Assert.That(e.Message, Does.Contain("could not load").And.Contain("--- llama.cpp log ---")
            .And.Contain("missing tensor 'token_embd.weight'"));
    }

    [Test]
    public void GreedyOnAFileWithoutTensorsFails()
    {
        Assert.Throws<InvalidOperationException>(() => LlamaCpp.Greedy(VocabPath, [1], 4));
    }

    [Test]
    public void QuantizeOfAFileWithoutTensorsCopiesItsMetadata()
    {
        // The vocab-only GGUF carries full llama hparams (7B shapes) and no tensors: llama.cpp's quantizer
        // accepts it and writes a GGUF v3 with the same keys plus general.file_type / quantization_version.
        string dst = Path.Combine(Path.GetTempPath(), $"edgellm-oracle-{Guid.NewGuid():N}.gguf");
        try
        {
            LlamaCpp.Quantize(VocabPath, dst, GgmlType.Q8_0);

            byte[] bytes = File.ReadAllBytes(dst);
            Assert.Multiple(() =>
            {
                Assert.That(Encoding.ASCII.GetString(bytes, 0, 4), Is.EqualTo("GGUF"));
                Assert.That(BitConverter.ToUInt32(bytes, 4), Is.EqualTo(3u), "GGUF version");
                Assert.That(BitConverter.ToUInt64(bytes, 8), Is.Zero, "tensor count");
                Assert.That(Encoding.ASCII.GetString(bytes), Does.Contain("general.file_type").And.Contain("general.quantization_version"));
                Assert.That(LlamaCpp.Tokenize(dst, " Hello, world!", addBos: true), Is.EqualTo(LlamaCpp.Tokenize(VocabPath, " Hello, world!", addBos: true)));
            });
        }
        finally
        {
            File.Delete(dst);
        }
    }

    [Test]
    public void QuantizeFailureThrowsWithTheLlamaCppLog()
    {
        // A destination in a folder that does not exist: llama.cpp fails to open it and returns 1.
        string dst = Path.Combine(Path.GetTempPath(), $"edgellm-oracle-missing-{Guid.NewGuid():N}", "out.gguf");
        var e = Assert.Throws<InvalidOperationException>(() => LlamaCpp.Quantize(VocabPath, dst, GgmlType.Q4_0));
        TestContext.Out.WriteLine(e!.Message);
        Assert.That(e.Message, Does.Contain("llama_model_quantize").And.Contain("returned 1").And.Contain("--- llama.cpp log ---"));
    }

    [Test]
    public void QuantizeRejectsTypesItDoesNotOracle()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LlamaCpp.Quantize("unused-src.gguf", "unused-dst.gguf", GgmlType.Q4_K));
    }

    /// <summary>
    /// The cases of ggml-vocab-llama-spm.gguf.inp/.out read as llama.cpp's test-tokenizer-0 reads them: inputs
    /// separated by "\n__ggml_vocab_test__\n" (the text keeps its own newlines), one output line per input,
    /// whitespace-trimmed, ids separated by single spaces, no BOS.
    /// </summary>
    public static IEnumerable<TestCaseData> VocabCases()
    {
        const string separator = "\n__ggml_vocab_test__\n";
        string inputs = File.ReadAllText(VocabPath + ".inp", Encoding.UTF8);
        string[] outputs = File.ReadAllLines(VocabPath + ".out", Encoding.UTF8);

        var texts = new List<string>();
        for (int pos = 0; pos < inputs.Length;)
        {
            int next = inputs.IndexOf(separator, pos, StringComparison.Ordinal);
            if (next < 0)
            {
                texts.Add(inputs[pos..]);
                break;
            }

            texts.Add(inputs[pos..next]);
            pos = next + separator.Length;
        }

        if (texts.Count != outputs.Length)
        {
            throw new InvalidDataException($"{texts.Count} inputs but {outputs.Length} outputs");
        }

        for (int i = 0; i < texts.Count; i++)
        {
            int[] ids = outputs[i].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
            yield return new TestCaseData(texts[i], ids).SetName($"Vocab case {i:D2}: {Escape(texts[i])}");
        }
    }

    private static string Escape(string text)
    {
        var sb = new StringBuilder();
        foreach (char c in text.Length > 40 ? text[..40] + "…" : text)
        {
            sb.Append(c switch
            {
                '\n' => "\\n",
                '\t' => "\\t",
                '(' => "⦅",
                ')' => "⦆",
                _ => c.ToString(),
            });
        }

        return $"\"{sb}\"";
    }
}
