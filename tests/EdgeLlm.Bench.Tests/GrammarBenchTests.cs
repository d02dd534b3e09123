using System.CommandLine;
using System.Text.Json;
using EdgeLlm.EdgeRuntime.Cli;
using NUnit.Framework;

namespace EdgeLlm.Bench.Tests;

/// <summary>`edgellm bench --json-schema` on the demo model with a tiny workload: ours with and without the mask, and llama.cpp's grammar sampler. No assertion is about speed.</summary>
[NonParallelizable]
public class GrammarBenchTests
{
    private const string Schema = """{"type":"object","properties":{"on":{"type":"boolean"},"room":{"enum":["kitchen","hall"]}},"required":["on","room"],"additionalProperties":false}""";

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

    private static string Plugin => Path.Combine(RepoRoot, "tests", "EdgeLlm.Bench", "bin", new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0", "EdgeLlm.Bench.dll");

    [Test]
    public void TheMaskedAndTheLlamaCppGrammarRunsAreReportedSideBySide()
    {
        Assert.That(File.Exists(Plugin), Is.True, $"plugin not built at {Plugin}");
        string schema = Path.Combine(Path.GetTempPath(), $"edgellm-bench-schema-{Guid.NewGuid():N}.json");
        File.WriteAllText(schema, Schema);
        try
        {
            var (code, stdout, stderr) = Run("bench", "-m", Path.Combine(RepoRoot, "models", "stories260K-q8_0.gguf"), "-t", "1", "--prompt-tokens", "8",
                "--gen-tokens", "48", "--repetitions", "1", "--json-schema", schema, "--vs-llamacpp", "--llamacpp-plugin", Plugin, "--json");
            Assert.That(code, Is.EqualTo(0), stderr);
            var json = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement;
            Assert.Multiple(() =>
            {
                foreach (string key in new[] { "decode_tok_s", "masked_decode_tok_s", "mask_ms_per_token", "llamacpp_decode_tok_s", "llamacpp_grammar_decode_tok_s", "llamacpp_grammar_ms_per_token" })
                {
                    Assert.That(json.GetProperty(key).GetDouble(), Is.GreaterThan(0), key);
                }

                // 48 greedy tokens over a 20-odd-token JSON object: both engines completed it and started over
                Assert.That(json.GetProperty("completions").GetInt32(), Is.GreaterThan(0));
                Assert.That(json.GetProperty("cache_positions").GetInt32(), Is.GreaterThan(0));
                Assert.That(stderr, Does.Contain("| llama.cpp (grammar on the whole vocabulary) |"));
            });
        }
        finally
        {
            File.Delete(schema);
        }
    }

    [Test]
    public void ABadSchemaIsOneLine()
    {
        string schema = Path.Combine(Path.GetTempPath(), $"edgellm-bench-schema-{Guid.NewGuid():N}.json");
        File.WriteAllText(schema, """{"type":"string","format":"email"}""");
        try
        {
            var (code, stdout, stderr) = Run("bench", "-m", Path.Combine(RepoRoot, "models", "stories260K-q8_0.gguf"), "--json-schema", schema);
            Assert.That(code, Is.Not.Zero);
            Assert.That(stdout, Is.Empty);
            Assert.That(stderr.Trim().Split('\n'), Has.Length.EqualTo(1), stderr);
            Assert.That(stderr, Does.Contain("'format' at /format"));
        }
        finally
        {
            File.Delete(schema);
        }
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
            return (root.Parse(args).Invoke(), stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
        }
    }
}
