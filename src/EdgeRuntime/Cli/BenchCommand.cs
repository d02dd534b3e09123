using System.CommandLine;
using System.Globalization;
using EdgeLlm.EdgeRuntime.Bench;

namespace EdgeLlm.EdgeRuntime.Cli;

/// <summary>
/// `edgellm bench`: prefill and decode tokens/s, time to first token and memory of our engine, the machine's streaming
/// read bandwidth and the decode bound it implies; with --vs-llamacpp, llama.cpp on the same file, threads and prompt,
/// alternating with ours. Progress on stderr; the table on stdout, or with --json one JSON line as the last stdout line.
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var model = new Option<FileInfo>("--model", "-m") { Description = "GGUF model file", Required = true };
        var threads = new Option<int>("--threads", "-t") { Description = "worker threads (the top-level numbers)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "prompt length in tokens (BOS + fixed pseudo-random tokens)", DefaultValueFactory = _ => 64 };
        var genTokens = new Option<int>("--gen-tokens") { Description = "tokens to generate (greedy; EOS does not stop)", DefaultValueFactory = _ => 128 };
        var reps = new Option<int>("--repetitions") { Description = "measured repetitions per engine and thread count (medians)", DefaultValueFactory = _ => 5 };
        var threadsList = new Option<string?>("--threads-list") { Description = "thread counts to measure, e.g. 1,2 (default: -t)" };
        var context = new Option<int>("--context", "-c") { Description = "KV cache length for both engines (0 = the model's)", DefaultValueFactory = _ => 0 };
        var kv = KvCacheOption.Create();
        var vs = new Option<bool>("--vs-llamacpp") { Description = "also run llama.cpp (LLamaSharp bench plugin) on the same file, threads and prompt" };
        var plugin = new Option<FileInfo?>("--llamacpp-plugin") { Description = $"the llama.cpp bench plugin (default: {BenchPlugin.DefaultRelativePath} in this repository)" };
        var llamaModel = new Option<FileInfo?>("--llamacpp-model") { Description = "the file llama.cpp runs (default: --model); for an interleaved --model (q8_0_r8, q4_0_r8), the ggml file of the same weights, which bench checks" };
        var json = new Option<bool>("--json") { Description = "print one JSON line (last line of stdout) instead of the table" };
        var chart = new Option<FileInfo?>("--chart") { Description = "write an SVG chart of tokens/s per thread count" };
        var jsonSchema = new Option<FileInfo?>("--json-schema") { Description = "instead: decode with this schema's token mask against decode without it (and llama.cpp's grammar sampler with --vs-llamacpp)" };

        var cmd = new Command("bench", "measure prefill/decode tokens per second, time to first token, memory and the bandwidth bound")
        {
            model, threads, promptTokens, genTokens, reps, threadsList, context, kv, vs, plugin, llamaModel, json, chart, jsonSchema,
        };
        cmd.SetAction(parse => CliRunner.Run(() =>
        {
            int t = parse.GetValue(threads);
            var options = new BenchOptions
            {
                ModelPath = parse.GetValue(model)!.FullName,
                Threads = t,
                ThreadsList = ParseThreads(parse.GetValue(threadsList), t),
                PromptTokens = parse.GetValue(promptTokens),
                GenTokens = parse.GetValue(genTokens),
                Repetitions = parse.GetValue(reps),
                ContextLength = parse.GetValue(context),
                KvCache = KvCacheOption.Parse(parse.GetValue(kv)!),
                VsLlamaCpp = parse.GetValue(vs),
                LlamaCppPlugin = parse.GetValue(plugin)?.FullName,
                LlamaCppModelPath = parse.GetValue(llamaModel)?.FullName,
            };
            Validate(options);
            string? chartPath = parse.GetValue(chart)?.FullName;
            if (chartPath is not null && !Directory.Exists(Path.GetDirectoryName(chartPath)))
            {
                throw new ArgumentException($"--chart: the folder of {chartPath} does not exist");
            }

            if (!File.Exists(options.ModelPath))
            {
                throw new ArgumentException($"model file not found: {options.ModelPath}");
            }

            CheckLlamaCppModel(options);

            if (parse.GetValue(jsonSchema) is { } schemaFile)
            {
                var grammar = GenerateCommand.LoadConstraint(schemaFile, null)!;
                var g = GrammarBench.Run(options, grammar, line => Console.Error.WriteLine(line));
                if (parse.GetValue(json))
                {
                    Console.Error.Write(g.Table());
                    Console.Out.WriteLine(g.Json());
                }
                else
                {
                    Console.Out.Write(g.Table());
                }

                return 0;
            }

            var result = BenchRunner.Run(options, line => Console.Error.WriteLine(line));
            if (chartPath is not null)
            {
                File.WriteAllText(chartPath, SvgChart.Render(result));
                Console.Error.WriteLine($"bench: chart written to {chartPath}");
            }

            if (parse.GetValue(json))
            {
                Console.Error.Write(BenchReport.Table(result));
                Console.Out.WriteLine(BenchReport.Json(result));
            }
            else
            {
                Console.Out.Write(BenchReport.Table(result));
            }

            return 0;
        }));
        return cmd;
    }

    /// <summary>"1,2" → [1, 2], always including <paramref name="threads"/>, ascending, no repeats.</summary>
    public static IReadOnlyList<int> ParseThreads(string? list, int threads)
    {
        var set = new SortedSet<int> { threads };
        if (!string.IsNullOrWhiteSpace(list))
        {
            foreach (string part in list.Split(',', StringSplitOptions.TrimEntries))
            {
                if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
                {
                    throw new ArgumentException($"--threads-list must be positive integers separated by commas, got '{list}'");
                }

                set.Add(n);
            }
        }

        return [.. set];
    }

    /// <summary>
    /// llama.cpp cannot read the interleaved types (docs/interleaved.md): with --vs-llamacpp such a --model needs
    /// --llamacpp-model, the ggml file of the same weights, and any --llamacpp-model must hold the same weights.
    /// </summary>
    private static void CheckLlamaCppModel(BenchOptions o)
    {
        if (o.LlamaCppModelPath is not { } ggml)
        {
            if (o.VsLlamaCpp)
            {
                using var f = EdgeLlm.Kernels.Gguf.GgufFile.Open(o.ModelPath);
                if (f.Tensors.Any(t => EdgeLlm.Kernels.Gguf.GgmlTypeInfo.IsInterleaved(t.Type)))
                {
                    throw new ArgumentException($"{Path.GetFileName(o.ModelPath)} is interleaved, which llama.cpp cannot read: pass --llamacpp-model with the ggml file of the same weights");
                }
            }

            return;
        }

        if (!o.VsLlamaCpp)
        {
            throw new ArgumentException("--llamacpp-model needs --vs-llamacpp");
        }

        if (!File.Exists(ggml))
        {
            throw new ArgumentException($"--llamacpp-model: file not found: {ggml}");
        }

        if (SameWeights.Difference(o.ModelPath, ggml) is { } problem)
        {
            throw new ArgumentException($"--llamacpp-model must hold the weights of --model: {problem}");
        }
    }

    private static void Validate(BenchOptions o)
    {
        if (o.Threads < 1)
        {
            throw new ArgumentException($"--threads must be >= 1, got {o.Threads}");
        }

        if (o.PromptTokens < 1)
        {
            throw new ArgumentException($"--prompt-tokens must be >= 1, got {o.PromptTokens}");
        }

        if (o.GenTokens < 1)
        {
            throw new ArgumentException($"--gen-tokens must be >= 1, got {o.GenTokens}");
        }

        if (o.Repetitions < 1)
        {
            throw new ArgumentException($"--repetitions must be >= 1, got {o.Repetitions}");
        }

        if (o.ContextLength < 0)
        {
            throw new ArgumentException($"--context must be >= 0, got {o.ContextLength}");
        }
    }
}
