using System.Reflection;
using System.Runtime.Versioning;
using EdgeLlm.Kernels;
using EdgeLlm.Kernels.Generation;
using EdgeLlm.Kernels.Quant;

namespace EdgeLlm.Kernels.NetStandardProbe;

/// <summary>
/// Usage: <c>probe MODEL MAX_TOKENS [--gbnf GRAMMAR] PROMPT...</c> (with --gbnf every completion is constrained to
/// the grammar). Prints <c>framework NAME</c> (the TargetFrameworkAttribute of the
/// EdgeLlm.Kernels assembly it loaded), <c>best PATH</c> (what KernelSelector chooses), <c>path PATH</c> (what the
/// loaded model runs), then one line of space-separated greedy token ids per prompt; the managed heap size goes to stderr.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length < 3 || !int.TryParse(args[1], out int maxTokens))
        {
            await Console.Error.WriteLineAsync("usage: EdgeLlm.Kernels.NetStandardProbe MODEL MAX_TOKENS [--gbnf GRAMMAR] PROMPT...");
            return 2;
        }

        Assembly kernels = typeof(LanguageModel).Assembly;
        Console.WriteLine($"framework {kernels.GetCustomAttribute<TargetFrameworkAttribute>()?.FrameworkName ?? "none"}");
        Console.WriteLine($"best {KernelSelector.Best}");
        using var lm = LanguageModel.Load(args[0], new ModelLoadOptions { Threads = 2 });
        Console.WriteLine($"path {lm.KernelPath}");
        bool constrained = args.Length > 4 && args[2] == "--gbnf";
        var options = new GenerationOptions
        {
            MaxTokens = maxTokens,
            Sampling = SamplingOptions.Greedy,
            Grammar = constrained ? Grammar.CompiledGrammar.FromGbnf(args[3]) : null,
        };
        foreach (string prompt in args.Skip(constrained ? 4 : 2))
        {
            var ids = new List<int>();
            await foreach (TokenEvent e in lm.GenerateAsync(prompt, options))
            {
                if (!e.IsFinal)
                {
                    ids.Add(e.TokenId);
                }
            }

            Console.WriteLine(string.Join(' ', ids));
        }

        // For hardware/meadow/README.md: the managed heap with the model loaded, its KV cache and buffers live
        // (the weights are in the map, the 256 KB f16 table in native memory).
        await Console.Error.WriteLineAsync($"managed heap {GC.GetTotalMemory(forceFullCollection: true)} bytes, context {lm.ContextLength}");
        return 0;
    }
}
