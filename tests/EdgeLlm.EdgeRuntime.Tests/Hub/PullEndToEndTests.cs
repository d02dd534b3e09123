using System.Diagnostics;
using System.Text;
using System.Text.Json;
using EdgeLlm.EdgeRuntime.Hub;
using EdgeLlm.EdgeRuntime.Tests.Infrastructure;
using EdgeLlm.Kernels;
using EdgeLlm.Kernels.Gguf;

namespace EdgeLlm.EdgeRuntime.Tests.Hub;

/// <summary>
/// pull as a user runs it: a tiny but real Llama checkpoint (safetensors, f16, the real Llama-2 tokenizer.model)
/// on a local fake hub → download, verify, convert with the real importer → a GGUF that generates.
/// </summary>
public class PullEndToEndTests
{
    private const int Dim = 64, Hidden = 128, Heads = 2, KvHeads = 1, Vocab = 32000;

    private static string SharedFile(params string[] parts) =>
        Path.Combine([Environment.GetEnvironmentVariable("EDGELLM_SHARED") is { Length: > 0 } env ? env : Path.Combine(TestEnvironment.RepoRoot, "..", "shared"), .. parts]);

    /// <summary>safetensors: an 8-byte little-endian header length, the JSON header, then the raw tensors.</summary>
    private static byte[] Safetensors(IReadOnlyList<(string Name, int[] Shape)> tensors, int seed)
    {
        var rng = new Random(seed);
        var header = new Dictionary<string, object> { ["__metadata__"] = new Dictionary<string, string> { ["format"] = "pt" } };
        using var data = new MemoryStream();
        foreach (var (name, shape) in tensors)
        {
            long start = data.Position;
            int n = shape.Aggregate(1, (a, b) => a * b);
            bool norm = shape.Length == 1;
            for (int i = 0; i < n; i++)
            {
                float v = norm ? 1f : (float)((rng.NextDouble() * 2) - 1) * 0.05f;
                data.Write(BitConverter.GetBytes((Half)v));
            }

            header[name] = new Dictionary<string, object> { ["dtype"] = "F16", ["shape"] = shape, ["data_offsets"] = new[] { start, data.Position } };
        }

        byte[] json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        return [.. BitConverter.GetBytes((long)json.Length), .. json, .. data.ToArray()];
    }

    private static byte[] Checkpoint()
    {
        var t = new List<(string, int[])> { ("model.embed_tokens.weight", [Vocab, Dim]), ("model.norm.weight", [Dim]) };
        const string p = "model.layers.0.";
        t.AddRange(
        [
            (p + "input_layernorm.weight", [Dim]), (p + "post_attention_layernorm.weight", [Dim]),
            (p + "self_attn.q_proj.weight", [Dim, Dim]), (p + "self_attn.k_proj.weight", [KvHeads * Dim / Heads, Dim]),
            (p + "self_attn.v_proj.weight", [KvHeads * Dim / Heads, Dim]), (p + "self_attn.o_proj.weight", [Dim, Dim]),
            (p + "mlp.gate_proj.weight", [Hidden, Dim]), (p + "mlp.up_proj.weight", [Hidden, Dim]), (p + "mlp.down_proj.weight", [Dim, Hidden]),
        ]);
        return Safetensors(t, seed: 11);
    }

    private static byte[] Config() => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["architectures"] = new[] { "LlamaForCausalLM" },
        ["model_type"] = "llama",
        ["hidden_size"] = Dim,
        ["intermediate_size"] = Hidden,
        ["num_attention_heads"] = Heads,
        ["num_key_value_heads"] = KvHeads,
        ["num_hidden_layers"] = 1,
        ["vocab_size"] = Vocab,
        ["max_position_embeddings"] = 128,
        ["rms_norm_eps"] = 1e-5,
        ["rope_theta"] = 10000.0,
        ["hidden_act"] = "silu",
        ["tie_word_embeddings"] = true,
    }));

    [Test]
    public async Task PullDownloadsConvertsAndTheModelGenerates()
    {
        string dir = Path.Combine(Path.GetTempPath(), "edgellm-pull-e2e-" + Guid.NewGuid().ToString("N"));
        using var hub = new FakeHub();
        hub.AddRepo("someone/tiny-llama")
            .Add("config.json", Config())
            .Add("tokenizer.model", File.ReadAllBytes(SharedFile("tokenizers", "llama2", "tokenizer.model")), lfs: true)
            .Add("model.safetensors", Checkpoint(), lfs: true);
        hub.DropOnceAt["model.safetensors"] = 1_000_000; // and a dropped connection on the way
        try
        {
            using var log = new StringWriter();
            var result = await new ModelPuller(new HfImporterConverter(), log, new DownloadOptions { RetryMaxDelay = TimeSpan.FromMilliseconds(20) })
                .PullAsync(new PullRequest("someone/tiny-llama", dir, GgmlType.Q8_0, hub.Endpoint, null, Convert: true));

            Assert.That(result.GgufPath, Is.Not.Null, log.ToString());
            using (var lm = LanguageModel.Load(result.GgufPath!, new ModelLoadOptions { Threads = 1 }))
            {
                Assert.That((lm.Config.Dim, lm.Config.Layers, lm.Config.VocabSize), Is.EqualTo((Dim, 1, Vocab)));
                Assert.That(lm.Tokenizer.Encode("Hello world", addBos: true), Is.EqualTo(new[] { 1, 15043, 3186 }), "the real Llama-2 vocabulary came through");
            }

            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { TestEnvironment.EdgeLlmDll, "generate", "-m", result.GgufPath!, "-p", "Hello", "-n", "8", "--temperature", "0" })
            {
                psi.ArgumentList.Add(a);
            }

            using var p = Process.Start(psi)!;
            string err = await p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            Assert.That(p.ExitCode, Is.Zero, err);
            Assert.That(err, Does.Contain("finish"));
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
