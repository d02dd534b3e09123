using System.Diagnostics;
using EdgeLlm.EdgeRuntime.Service;
using EdgeLlm.EdgeRuntime.Tests.Infrastructure;

namespace EdgeLlm.EdgeRuntime.Tests.Cli;

/// <summary>The `edgellm` verbs as a user runs them: a child process, stdout, stderr, exit code.</summary>
public class CliTests
{
    private static string SharedFile(params string[] parts)
    {
        string root = Environment.GetEnvironmentVariable("EDGELLM_SHARED") is { Length: > 0 } env
            ? env
            : Path.GetFullPath(Path.Combine(TestEnvironment.RepoRoot, "..", "shared"));
        return Path.Combine([root, .. parts]);
    }

    private static async Task<(int Exit, string Out, string Err)> Run(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(TestEnvironment.EdgeLlmDll);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    private static string Temp(string name) => Path.Combine(Path.GetTempPath(), $"edgellm-cli-{Guid.NewGuid():N}-{name}");

    [Test]
    public async Task ServeHelpStatesTheServiceDefaults()
    {
        var (exit, output, err) = await Run("serve", "--help");
        Assert.That(exit, Is.Zero, err);
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        foreach (var expected in new[]
        {
            $"(default {ServiceDefaults.ModelPath})",
            $"(default {ServiceDefaults.MqttPort})",
            $"(default {ServiceDefaults.QueueLength})",
            $"(default {ServiceDefaults.MaxPromptLength})",
            $"(default {ServiceDefaults.DefaultMaxTokens})",
            $"(default {ServiceDefaults.Temperature.ToString(inv)})",
            $"(default {ServiceDefaults.TopK})",
            $"(default {ServiceDefaults.TopP.ToString(inv)})",
            $"(default {ServiceDefaults.BindAddress})",
        })
        {
            Assert.That(output, Does.Contain(expected));
        }
    }

    [Test]
    public async Task GenerateTellsTheStoryFromBos()
    {
        var (exit, output, err) = await Run("generate", "-m", TestEnvironment.ModelPath, "-p", "", "-n", "200", "--temperature", "0");
        Assert.That(exit, Is.Zero, err);
        Assert.That(output, Does.StartWith("Once upon a time, there was a little girl named Lily."));
        Assert.That(err, Does.Contain("completion 200 tokens").Or.Contain("finish stop"));
    }

    [Test]
    public async Task GenerateStreamsOnlyTheCompletion()
    {
        var (exit, output, err) = await Run("generate", "-m", TestEnvironment.ModelPath, "-p", "Once upon a time", "-n", "20", "--temperature", "0");
        Assert.That(exit, Is.Zero, err);
        Assert.That(output, Does.Not.StartWith("Once upon a time"));
        Assert.That(output, Does.StartWith(", there was a little girl"));
    }

    [Test]
    public async Task TokenizeWorksOnTheVocabOnlyGguf()
    {
        // llama.cpp's own ids for this text (its tokenizer test cases): 15043 "▁Hello", 3186 "▁world"
        var (exit, output, err) = await Run("tokenize", "-m", SharedFile("tokenizers", "llama2", "ggml-vocab-llama-spm.gguf"), "--text", "Hello world");
        Assert.That(exit, Is.Zero, err);
        Assert.That(output.Trim(), Is.EqualTo("1 15043 3186"));
    }

    [Test]
    public async Task ConvertReproducesTheBundledModel()
    {
        string output = Temp("stories.gguf");
        try
        {
            var (exit, _, err) = await Run(
                "convert", "--from", "llama2c",
                "--checkpoint", SharedFile("models", "stories260K", "stories260K.bin"),
                "--tokenizer", SharedFile("models", "stories260K", "tok512.bin"),
                "--type", "q8_0", "-o", output, "--name", "stories260K");
            Assert.That(exit, Is.Zero, err);
            Assert.That(File.ReadAllBytes(output), Is.EqualTo(File.ReadAllBytes(TestEnvironment.ModelPath)));
        }
        finally
        {
            File.Delete(output);
        }
    }

    /// <summary>
    /// The CLI writes the interleaved layout (docs/interleaved.md) on request, says so in info, and the model tells
    /// the bundled (plain) model's greedy story.
    /// </summary>
    [Test]
    public async Task ConvertWritesTheInterleavedLayoutThatInfoNamesAndGenerateRuns()
    {
        string output = Temp("stories-r8.gguf");
        try
        {
            var (exit, _, err) = await Run(
                "convert", "--from", "llama2c",
                "--checkpoint", SharedFile("models", "stories260K", "stories260K.bin"),
                "--tokenizer", SharedFile("models", "stories260K", "tok512.bin"),
                "--type", "q8_0_r8", "-o", output, "--name", "stories260K");
            Assert.That(exit, Is.Zero, err);
            Assert.That(new FileInfo(output).Length, Is.EqualTo(new FileInfo(TestEnvironment.ModelPath).Length), "the same bytes, rearranged");

            (exit, string info, err) = await Run("info", "-m", output);
            Assert.That(exit, Is.Zero, err);
            Assert.That(info, Does.Contain("Q8_0_R8 x").And.Contain("llama.cpp cannot read this file"));
            (exit, string plainInfo, err) = await Run("info", "-m", TestEnvironment.ModelPath);
            Assert.That(plainInfo, Does.Not.Contain("interleaved"));

            (exit, string story, err) = await Run("generate", "-m", output, "-p", "Once upon a time", "-n", "20", "--temperature", "0");
            Assert.That(exit, Is.Zero, err);
            Assert.That(story, Does.StartWith(", there was a little girl"));
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Test]
    public async Task InfoDescribesModelAndCpu()
    {
        var (exit, output, err) = await Run("info", "-m", TestEnvironment.ModelPath);
        Assert.That(exit, Is.Zero, err);
        Assert.That(output, Does.Contain("stories260K").And.Contain("parameters:").And.Contain("kernel path:").And.Contain("tied to token_embd.weight"));
    }

    [Test]
    public async Task MissingModelIsOneLineAndNonZero()
    {
        var (exit, _, err) = await Run("generate", "-m", "/nonexistent/model.gguf", "-p", "x");
        Assert.That(exit, Is.Not.Zero);
        Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(err, Does.StartWith("edgellm: ").And.Contain("model.gguf"));
    }

    [Test]
    public async Task TruncatedModelIsAClearErrorNotACrash()
    {
        string bad = Temp("truncated.gguf");
        byte[] model = File.ReadAllBytes(TestEnvironment.ModelPath);
        File.WriteAllBytes(bad, model[..(model.Length / 2)]);
        try
        {
            var (exit, _, err) = await Run("generate", "-m", bad, "-p", "x", "-n", "4");
            Assert.That(exit, Is.EqualTo(1));
            Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1), err);
            Assert.That(err, Does.Contain(bad));
        }
        finally
        {
            File.Delete(bad);
        }
    }

    [TestCase("generate", "--temperature", "-1")]
    [TestCase("generate", "--top-p", "1.5")]
    [TestCase("generate", "-n", "-3")]
    public async Task OutOfRangeSamplingIsRefused(string verb, string option, string value)
    {
        var (exit, output, err) = await Run(verb, "-m", TestEnvironment.ModelPath, option, value);
        Assert.That(exit, Is.Not.Zero);
        Assert.That(output, Is.Empty);
        Assert.That(err, Does.StartWith("edgellm: "));
    }

    [Test]
    public async Task UnknownTypeIsRefusedByTheParser()
    {
        var (exit, _, err) = await Run("convert", "--from", "llama2c", "--type", "q5_k", "-o", Temp("x.gguf"));
        Assert.That(exit, Is.Not.Zero);
        Assert.That(err, Does.Contain("q5_k"));
    }
}
