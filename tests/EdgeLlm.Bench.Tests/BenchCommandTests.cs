using System.CommandLine;
using System.Text.Json;
using System.Xml.Linq;
using EdgeLlm.EdgeRuntime.Bench;
using EdgeLlm.EdgeRuntime.Cli;
using NUnit.Framework;

namespace EdgeLlm.Bench.Tests;

/// <summary>`edgellm bench` end to end on the bundled demo model with a tiny workload. No assertion is about speed.</summary>
[NonParallelizable]
public class BenchCommandTests
{
    private static readonly string[] RequiredKeys =
    [
        "decode_tok_s", "prefill_tok_s", "llamacpp_decode_tok_s", "llamacpp_prefill_tok_s", "decode_ratio", "prefill_ratio",
        "bandwidth_bound_tok_s", "ttft_ms", "rss_beyond_map_mb", "threads", "file", "type", "bandwidth_gbs", "pct_of_bound",
        "dram_bandwidth_gbs", "dram_bound_tok_s", "pct_of_dram_bound", "working_set_bytes", "working_set_probe_bytes", "dram_probe_bytes", "llc_bytes", "llc_source",
    ];

    private static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "EdgeLlm.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new DirectoryNotFoundException("EdgeLlm.sln not found above " + AppContext.BaseDirectory);
        }
    }

    private static string DemoModel => Path.Combine(RepoRoot, "models", "stories260K-q8_0.gguf");

    private static string Plugin
    {
        get
        {
            // The plugin is built in the configuration of this test run (Release in scripts/test).
            string config = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
            return Path.Combine(RepoRoot, "tests", "EdgeLlm.Bench", "bin", config, "net10.0", "EdgeLlm.Bench.dll");
        }
    }

    [Test]
    public void JsonLineHasEveryKeyAndSaneValues()
    {
        var (code, stdout, stderr) = Run("bench", "-m", DemoModel, "-t", "1", "--prompt-tokens", "8", "--gen-tokens", "8", "--repetitions", "2", "--json");
        Assert.That(code, Is.EqualTo(0), stderr);
        var json = LastJsonLine(stdout);
        foreach (string key in RequiredKeys)
        {
            Assert.That(json.TryGetProperty(key, out _), Is.True, $"missing key {key} in {stdout}");
        }

        Assert.Multiple(() =>
        {
            Assert.That(json.GetProperty("threads").GetInt32(), Is.EqualTo(1));
            Assert.That(json.GetProperty("decode_tok_s").GetDouble(), Is.GreaterThan(0));
            Assert.That(json.GetProperty("prefill_tok_s").GetDouble(), Is.GreaterThan(0));
            Assert.That(json.GetProperty("ttft_ms").GetDouble(), Is.GreaterThan(0));
            Assert.That(json.GetProperty("bandwidth_gbs").GetDouble(), Is.GreaterThan(0));
            Assert.That(json.GetProperty("bandwidth_bound_tok_s").GetDouble(), Is.GreaterThan(0));
            Assert.That(json.GetProperty("pct_of_bound").GetDouble(), Is.GreaterThan(0));
            Assert.That(json.GetProperty("dram_bandwidth_gbs").GetDouble(), Is.GreaterThan(0));
            Assert.That(json.GetProperty("dram_bound_tok_s").GetDouble(), Is.GreaterThan(0));
            Assert.That(json.GetProperty("llc_source").GetString(), Is.Not.Empty);
            Assert.That(stderr, Does.Contain("working-set GB/s").And.Contain("DRAM bound").And.Contain("bounds     working set"), "the table (stderr with --json) prints both bounds");

            // The working-set probe reads one decode step's bytes (to the page); the DRAM one at least 4x the L3.
            long ws = json.GetProperty("working_set_bytes").GetInt64();
            Assert.That(json.GetProperty("working_set_probe_bytes").GetInt64(), Is.InRange(Math.Max(4096, ws - 4096), ws));
            long parts = json.GetProperty("weight_bytes_per_token").GetInt64() + json.GetProperty("kv_bytes_per_token").GetInt64();
            Assert.That(ws, Is.InRange(parts - 1, parts + 1), "weights + the average KV cache a step reads");
            Assert.That(json.GetProperty("working_set_probe").GetString(), Does.StartWith("the model file's last"), "the working-set probe reads the model's own pages");
            Assert.That(json.GetProperty("dram_probe").GetString(), Does.EndWith("MB buffer"), "a 1.8 MB demo file is far below 4x any L3: the DRAM probe has its own buffer");
            long dramBytes = json.GetProperty("dram_probe_bytes").GetInt64();
            Assert.That(dramBytes, Is.GreaterThanOrEqualTo(MemoryBandwidth.MinDramBufferBytes));
            if (json.GetProperty("llc_bytes").ValueKind == JsonValueKind.Number)
            {
                Assert.That(dramBytes, Is.GreaterThanOrEqualTo(4 * json.GetProperty("llc_bytes").GetInt64()));
            }

            Assert.That(json.GetProperty("rss_beyond_map_mb").GetDouble(), Is.GreaterThan(0).And.LessThan(4096));
            Assert.That(json.GetProperty("model_map_rss_mb").GetDouble(), Is.GreaterThan(0), "the model's mapping was found in smaps");
            Assert.That(json.GetProperty("peak_rss_mb").GetDouble(), Is.GreaterThanOrEqualTo(json.GetProperty("rss_mb").GetDouble()));
            Assert.That(json.GetProperty("file").GetString(), Is.EqualTo(DemoModel));
            Assert.That(json.GetProperty("type").GetString(), Is.Not.Empty);
            Assert.That(json.GetProperty("prompt_tokens").GetInt32(), Is.EqualTo(8));
            Assert.That(json.GetProperty("gen_tokens").GetInt32(), Is.EqualTo(8));
            Assert.That(json.GetProperty("weight_bytes_per_token").GetInt64(), Is.GreaterThan(100_000), "stories260K reads ~0.44 MB of weights per token");
            foreach (string key in new[] { "llamacpp_decode_tok_s", "llamacpp_prefill_tok_s", "decode_ratio", "prefill_ratio" })
            {
                Assert.That(json.GetProperty(key).ValueKind, Is.EqualTo(JsonValueKind.Null), $"{key} without --vs-llamacpp");
            }
        });
    }

    [Test]
    public void VsLlamaCppFillsTheLlamaCppKeysAndTheChartHasBothSeriesPerThreadCount()
    {
        Assume.That(File.Exists(Plugin), Is.True, $"plugin not built at {Plugin}");
        string svg = Path.Combine(Path.GetTempPath(), $"edgellm-bench-{Guid.NewGuid():N}.svg");
        try
        {
            var (code, stdout, stderr) = Run("bench", "-m", DemoModel, "-t", "1", "--threads-list", "1,2", "--prompt-tokens", "8", "--gen-tokens", "8",
                "--repetitions", "1", "--vs-llamacpp", "--llamacpp-plugin", Plugin, "--json", "--chart", svg);
            Assert.That(code, Is.EqualTo(0), stderr);
            var json = LastJsonLine(stdout);
            Assert.Multiple(() =>
            {
                foreach (string key in new[] { "llamacpp_decode_tok_s", "llamacpp_prefill_tok_s", "decode_ratio", "prefill_ratio" })
                {
                    Assert.That(json.GetProperty(key).GetDouble(), Is.GreaterThan(0), key);
                }

                Assert.That(json.GetProperty("llamacpp").GetString(), Does.Contain("llama.cpp"));
                Assert.That(json.GetProperty("per_threads").GetArrayLength(), Is.EqualTo(2));
                Assert.That(json.GetProperty("greedy_tokens_matching").GetInt32(), Is.GreaterThan(0), "same file, same prompt, greedy: the first token agrees");
            });

            var doc = XDocument.Load(svg);
            XNamespace ns = "http://www.w3.org/2000/svg";
            var bars = doc.Descendants(ns + "rect").Where(e => (string?)e.Attribute("class") == "bar").ToList();
            var bounds = doc.Descendants(ns + "line").Where(e => (string?)e.Attribute("class") == "bound").ToList();
            Assert.Multiple(() =>
            {
                // two panels (decode, prefill) x two thread counts x two engines
                Assert.That(bars, Has.Count.EqualTo(8));
                Assert.That(bars.Select(b => (string?)b.Attribute("data-series")).Distinct(), Is.EquivalentTo(new[] { "edgellm", "llama.cpp" }));
                Assert.That(bars.Select(b => (string?)b.Attribute("data-threads")).Distinct(), Is.EquivalentTo(new[] { "1", "2" }));
                Assert.That(bounds, Has.Count.EqualTo(2));
            });
        }
        finally
        {
            File.Delete(svg);
        }
    }

    [TestCase("--prompt-tokens", "0")]
    [TestCase("--gen-tokens", "0")]
    [TestCase("--repetitions", "0")]
    [TestCase("-t", "0")]
    [TestCase("--threads-list", "1,x")]
    [TestCase("--threads-list", "0")]
    [TestCase("--context", "-1")]
    [TestCase("--prompt-tokens", "500")] // + 128 generated > the demo model's 512-token context
    [TestCase("--chart", "/nonexistent-folder/chart.svg")]
    [TestCase("--llamacpp-plugin", "/nonexistent-folder/plugin.dll")]
    public void BadOptionsFailWithOneLineAndNonZeroExit(string option, string value)
    {
        var args = new List<string> { "bench", "-m", DemoModel, option, value };
        foreach (var (name, fallback) in new[] { ("--repetitions", "1"), ("--gen-tokens", "128") })
        {
            if (option != name)
            {
                args.AddRange([name, fallback]);
            }
        }

        if (option == "--llamacpp-plugin")
        {
            args.Add("--vs-llamacpp");
        }

        var (code, stdout, stderr) = Run([.. args]);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.Not.EqualTo(0));
            Assert.That(stderr.Trim().Split('\n'), Has.Length.EqualTo(1), stderr);
            Assert.That(stderr, Does.StartWith("edgellm: "));
            Assert.That(stdout, Is.Empty);
        });
    }

    /// <summary>
    /// An interleaved model (docs/interleaved.md) runs beside llama.cpp on the ggml file of the same weights; without
    /// that file, or with one of other weights, bench refuses in one line before measuring anything.
    /// </summary>
    [Test]
    public void AnInterleavedModelRunsBesideLlamaCppOnTheGgmlFileOfTheSameWeights()
    {
        Assume.That(File.Exists(Plugin), Is.True, $"plugin not built at {Plugin}");
        string dir = Path.Combine(Path.GetTempPath(), $"edgellm-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var config = new EdgeLlm.Kernels.Model.ModelConfig
            {
                Architecture = "llama",
                Name = "tiny",
                Dim = 128,
                Layers = 2,
                Heads = 4,
                KvHeads = 2,
                HiddenDim = 256,
                VocabSize = 512,
                ContextLength = 256,
                HeadDim = 32,
                RopeDims = 32,
            };
            string plain = Path.Combine(dir, "plain.gguf"), r8 = Path.Combine(dir, "r8.gguf"), other = Path.Combine(dir, "other.gguf");
            EdgeLlm.Kernels.Import.SyntheticModel.Write(config, EdgeLlm.Kernels.Gguf.GgmlType.Q8_0, 1, plain);
            EdgeLlm.Kernels.Import.SyntheticModel.Write(config, EdgeLlm.Kernels.Gguf.GgmlType.Q8_0_R8, 1, r8);
            EdgeLlm.Kernels.Import.SyntheticModel.Write(config, EdgeLlm.Kernels.Gguf.GgmlType.Q8_0, 2, other);
            string[] common = ["bench", "-m", r8, "-t", "1", "--prompt-tokens", "8", "--gen-tokens", "8", "--repetitions", "1", "--vs-llamacpp", "--llamacpp-plugin", Plugin];

            var (code, stdout, stderr) = Run([.. common, "--llamacpp-model", plain, "--json"]);
            Assert.That(code, Is.EqualTo(0), stderr);
            var json = LastJsonLine(stdout);
            Assert.Multiple(() =>
            {
                Assert.That(json.GetProperty("type").GetString(), Is.EqualTo("Q8_0_R8"));
                Assert.That(json.GetProperty("llamacpp_file").GetString(), Is.EqualTo(plain));
                Assert.That(json.GetProperty("llamacpp_decode_tok_s").GetDouble(), Is.GreaterThan(0));
                Assert.That(json.GetProperty("greedy_tokens_matching").GetInt32(), Is.GreaterThan(0), "the same weights: the first greedy token agrees");
                Assert.That(stderr, Does.Contain("the same weights in ggml's layout"));
            });

            foreach ((string[] extra, string expected) in new[]
            {
                (Array.Empty<string>(), "pass --llamacpp-model"),
                (new[] { "--llamacpp-model", other }, "holds different weights"),
                (new[] { "--llamacpp-model", r8 }, "is interleaved itself"),
            })
            {
                (code, stdout, stderr) = Run([.. common, .. extra]);
                Assert.Multiple(() =>
                {
                    Assert.That(code, Is.Not.EqualTo(0));
                    Assert.That(stderr.Trim().Split('\n'), Has.Length.EqualTo(1), stderr);
                    Assert.That(stderr, Does.Contain(expected));
                    Assert.That(stdout, Is.Empty);
                });
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void MissingModelFailsWithOneLine()
    {
        var (code, _, stderr) = Run("bench", "-m", "/nonexistent/model.gguf");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.Not.EqualTo(0));
            Assert.That(stderr.Trim().Split('\n'), Has.Length.EqualTo(1), stderr);
        });
    }

    [Test]
    public void ThreadsListIsSortedUniqueAndIncludesTheThreadCount()
    {
        Assert.Multiple(() =>
        {
            Assert.That(BenchCommand.ParseThreads("2,1,2", 1), Is.EqualTo(new[] { 1, 2 }));
            Assert.That(BenchCommand.ParseThreads(null, 3), Is.EqualTo(new[] { 3 }));
            Assert.That(BenchCommand.ParseThreads(" 1 , 4", 2), Is.EqualTo(new[] { 1, 2, 4 }));
        });
    }

    [Test]
    public void PromptStartsWithBosAndAvoidsEndTokens()
    {
        int[] p = BenchRunner.MakePrompt(bos: 1, eos: 2, vocab: 512, count: 300);
        Assert.Multiple(() =>
        {
            Assert.That(p[0], Is.EqualTo(1));
            Assert.That(p.Skip(1), Has.All.InRange(3, 511));
            Assert.That(BenchRunner.MakePrompt(1, 2, 512, 300), Is.EqualTo(p), "deterministic");
        });
    }

    private static JsonElement LastJsonLine(string stdout)
    {
        string last = stdout.TrimEnd().Split('\n')[^1];
        return JsonDocument.Parse(last).RootElement.Clone();
    }

    private static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var root = new RootCommand("test") { BenchCommand.Create() };
        TextWriter oldOut = Console.Out, oldErr = Console.Error;
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            int code = root.Parse(args).Invoke();
            return (code, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
        }
    }
}
