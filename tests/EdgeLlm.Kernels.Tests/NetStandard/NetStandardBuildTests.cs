using System.Diagnostics;
using System.Reflection;
using System.Runtime.Versioning;
using EdgeLlm.Kernels.Generation;
using EdgeLlm.Kernels.Quant;

namespace EdgeLlm.Kernels.Tests.NetStandard;

/// <summary>
/// The netstandard2.1 build of src/Kernels (what a Meadow app references; docs/architecture.md, "netstandard2.1
/// build") gives the same greedy tokens on the bundled model as the net10.0 build. The netstandard2.1 assembly runs in
/// tests/EdgeLlm.Kernels.NetStandardProbe, a child process (one process cannot load both builds of one assembly name
/// side by side in the default context); this process runs the net10.0 build on its scalar path, the only path the
/// netstandard2.1 build has.
/// </summary>
public class NetStandardBuildTests
{
    private const int MaxTokens = 96;

    private static readonly string[] Prompts = ["", "Once upon a time", "Lily and Tom went to the park. They saw"];

    [Test]
    public async Task TheNetstandardBuildGivesTheSameGreedyTokensAsTheNet10BuildOnTheBundledModel()
    {
        string model = Path.Combine(SharedData.RepoRoot, "models", "stories260K-q8_0.gguf");
        Assert.That(File.Exists(model), Is.True, $"bundled model missing: {model}");
        Assert.That(
            typeof(LanguageModel).Assembly.GetCustomAttribute<TargetFrameworkAttribute>()?.FrameworkName,
            Is.EqualTo(".NETCoreApp,Version=v10.0"),
            "this test process must run the net10.0 build of EdgeLlm.Kernels");

        string[] probe = RunProbe(model, grammar: null);

        Assert.That(probe[0], Is.EqualTo("framework .NETStandard,Version=v2.1"), "the probe must load the netstandard2.1 build");
        Assert.That(probe[1], Is.EqualTo("best Scalar"), "the netstandard2.1 build must choose the scalar path on any CPU");
        Assert.That(probe[2], Is.EqualTo("path Scalar"));
        Assert.That(probe, Has.Length.EqualTo(3 + Prompts.Length), string.Join('\n', probe));

        using var lm = LanguageModel.Load(model, new ModelLoadOptions { Threads = 2, KernelPath = KernelPath.Scalar });
        var options = new GenerationOptions { MaxTokens = MaxTokens, Sampling = SamplingOptions.Greedy };
        for (int i = 0; i < Prompts.Length; i++)
        {
            var expected = new List<int>();
            await foreach (TokenEvent e in lm.GenerateAsync(Prompts[i], options))
            {
                if (!e.IsFinal)
                {
                    expected.Add(e.TokenId);
                }
            }

            Assert.That(expected, Has.Count.GreaterThan(20), $"prompt {i}: too few tokens to compare");
            int[] actual = probe[3 + i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
            Assert.That(actual, Is.EqualTo(expected), $"prompt {i} ('{Prompts[i]}'): netstandard2.1 and net10.0 tokens differ");
        }
    }

    /// <summary>Grammar-constrained decoding (src/Kernels/Grammar) on the netstandard2.1 build: the same tokens as net10.0.</summary>
    [Test]
    public async Task TheNetstandardBuildGivesTheSameGrammarConstrainedTokens()
    {
        const string gbnf = "root ::= (\"Lily\" | \"Tom\" | \"Ben\") (\" \" [a-z]+){3,8} \".\"";
        string model = Path.Combine(SharedData.RepoRoot, "models", "stories260K-q8_0.gguf");
        string[] probe = RunProbe(model, gbnf);
        Assert.That(probe, Has.Length.EqualTo(3 + Prompts.Length), string.Join('\n', probe));

        using var lm = LanguageModel.Load(model, new ModelLoadOptions { Threads = 2, KernelPath = KernelPath.Scalar });
        var options = new GenerationOptions { MaxTokens = MaxTokens, Sampling = SamplingOptions.Greedy, Grammar = Kernels.Grammar.CompiledGrammar.FromGbnf(gbnf) };
        for (int i = 0; i < Prompts.Length; i++)
        {
            var expected = new List<int>();
            string text = "";
            await foreach (TokenEvent e in lm.GenerateAsync(Prompts[i], options))
            {
                if (!e.IsFinal)
                {
                    expected.Add(e.TokenId);
                    text += e.Text;
                }
            }

            Assert.That(text, Does.Match(@"^(Lily|Tom|Ben)( [a-z]+){3,8}\.$"), $"prompt {i}: the grammar must hold");
            int[] actual = probe[3 + i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
            Assert.That(actual, Is.EqualTo(expected), $"prompt {i} ('{Prompts[i]}'): netstandard2.1 and net10.0 constrained tokens differ");
        }
    }

    /// <summary>Runs the probe (built beside this project in the same configuration) and returns its output lines.</summary>
    private static string[] RunProbe(string model, string? grammar)
    {
        // bin/<Configuration>/net10.0/ of this test project names the configuration the probe was built in.
        string configuration = Path.GetFileName(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)))!;
        string dll = Path.Combine(SharedData.RepoRoot, "tests", "EdgeLlm.Kernels.NetStandardProbe", "bin", configuration, "net10.0", "EdgeLlm.Kernels.NetStandardProbe.dll");
        Assert.That(File.Exists(dll), Is.True, $"probe not built: {dll} (dotnet build tests/EdgeLlm.Kernels.NetStandardProbe -c {configuration})");

        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h
            : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
        var psi = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add(model);
        psi.ArgumentList.Add(MaxTokens.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (grammar is not null)
        {
            psi.ArgumentList.Add("--gbnf");
            psi.ArgumentList.Add(grammar);
        }

        foreach (string p in Prompts)
        {
            psi.ArgumentList.Add(p);
        }

        using var process = Process.Start(psi)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        Assert.That(process.WaitForExit(60_000), Is.True, "probe did not finish in 60 s");
        Assert.That(process.ExitCode, Is.Zero, $"probe failed: {stderr.Result}");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
