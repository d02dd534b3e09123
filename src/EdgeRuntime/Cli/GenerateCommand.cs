using System.CommandLine;
using EdgeLlm.Kernels;
using EdgeLlm.Kernels.Generation;
using EdgeLlm.Kernels.Grammar;

namespace EdgeLlm.EdgeRuntime.Cli;

/// <summary>`edgellm generate`: streams a completion (without the prompt) to stdout.</summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var defaults = new SamplingOptions();
        var model = new Option<FileInfo>("--model", "-m") { Description = "GGUF model file", Required = true };
        var prompt = new Option<string>("--prompt", "-p") { Description = "prompt text (empty: start from BOS)", DefaultValueFactory = _ => "" };
        var maxTokens = new Option<int>("--max-tokens", "-n") { Description = "tokens to generate at most", DefaultValueFactory = _ => 256 };
        var temperature = new Option<float>("--temperature") { Description = "0 = greedy", DefaultValueFactory = _ => defaults.Temperature };
        var topK = new Option<int>("--top-k") { Description = "keep the K most likely tokens (0 = off)", DefaultValueFactory = _ => defaults.TopK };
        var topP = new Option<float>("--top-p") { Description = "nucleus sampling mass (1 = off)", DefaultValueFactory = _ => defaults.TopP };
        var repeat = new Option<float>("--repeat-penalty") { Description = "penalty for recent tokens (1 = off)", DefaultValueFactory = _ => defaults.RepetitionPenalty };
        var seed = new Option<ulong?>("--seed") { Description = "random seed (default: from the clock)" };
        var threads = new Option<int>("--threads", "-t") { Description = "worker threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var context = new Option<int>("--context", "-c") { Description = "context length in tokens (0 = the model's)", DefaultValueFactory = _ => 0 };
        var kv = KvCacheOption.Create();
        var stop = new Option<string[]>("--stop") { Description = "stop before this text (repeatable)", AllowMultipleArgumentsPerToken = false };
        var jsonSchema = new Option<FileInfo?>("--json-schema") { Description = "constrain the output to JSON valid against this JSON Schema file (docs/structured-output.md)" };
        var grammar = new Option<FileInfo?>("--grammar") { Description = "constrain the output to this GBNF grammar file (llama.cpp's syntax, start rule 'root')" };

        var cmd = new Command("generate", "stream a completion to stdout")
        {
            model, prompt, maxTokens, temperature, topK, topP, repeat, seed, threads, context, kv, stop, jsonSchema, grammar,
        };
        cmd.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            // The grammar first: a bad schema or grammar is reported before the model is loaded.
            var constraint = LoadConstraint(parse.GetValue(jsonSchema), parse.GetValue(grammar));
            var options = new GenerationOptions
            {
                Grammar = constraint,
                MaxTokens = parse.GetValue(maxTokens),
                StopStrings = parse.GetValue(stop) ?? [],
                Sampling = new SamplingOptions
                {
                    Temperature = parse.GetValue(temperature),
                    TopK = parse.GetValue(topK),
                    TopP = parse.GetValue(topP),
                    RepetitionPenalty = parse.GetValue(repeat),
                    Seed = parse.GetValue(seed),
                },
            };
            options.Sampling.Validate();
            if (options.MaxTokens < 0)
            {
                throw new ArgumentException($"--max-tokens must be >= 0, got {options.MaxTokens}");
            }

            using var lm = LanguageModel.Load(
                parse.GetValue(model)!.FullName,
                new ModelLoadOptions { Threads = parse.GetValue(threads), ContextLength = parse.GetValue(context), KvCacheType = KvCacheOption.Parse(parse.GetValue(kv)!), CollectAfterLoad = true });
            Console.Error.WriteLine($"edgellm: {lm.Name}, {lm.Config.Layers} layers, dim {lm.Config.Dim}, kernel {lm.KernelPath}, {lm.Threads} thread(s)");

            var stdout = CliRunner.StdOut();
            await foreach (var e in lm.GenerateAsync(parse.GetValue(prompt) ?? "", options, ct))
            {
                await stdout.WriteAsync(e.Text);
                if (e.Done is { } s)
                {
                    await stdout.WriteLineAsync();
                    Console.Error.WriteLine(
                        $"edgellm: finish {s.FinishReason.ToString().ToLowerInvariant()}, prompt {s.PromptTokens} tokens " +
                        $"({s.PrefillTokensPerSecond:F1} tok/s), completion {s.CompletionTokens} tokens ({s.TokensPerSecond:F1} tok/s), " +
                        $"first token {s.TimeToFirstTokenMs:F1} ms");
                    if (s.GrammarComplete == false)
                    {
                        // the budget or a stop string cut the structure: say so, and fail, since the output does not validate
                        Console.Error.WriteLine($"edgellm: the output is incomplete: the {(parse.GetValue(jsonSchema) is null ? "grammar" : "schema")} was not finished within {options.MaxTokens} tokens (raise -n)");
                        return 3;
                    }
                }
            }

            return 0;
        }));
        return cmd;
    }

    /// <summary>The grammar of --json-schema or --grammar (not both); a file or grammar problem is an ArgumentException (one line, exit 1).</summary>
    public static CompiledGrammar? LoadConstraint(FileInfo? jsonSchema, FileInfo? gbnf)
    {
        if (jsonSchema is not null && gbnf is not null)
        {
            throw new ArgumentException("--json-schema and --grammar cannot be used together");
        }

        var file = jsonSchema ?? gbnf;
        if (file is null)
        {
            return null;
        }

        if (!file.Exists)
        {
            throw new ArgumentException($"{(jsonSchema is null ? "--grammar" : "--json-schema")}: file not found: {file.FullName}");
        }

        string text = File.ReadAllText(file.FullName);
        try
        {
            return jsonSchema is not null ? CompiledGrammar.FromJsonSchema(text) : CompiledGrammar.FromGbnf(text);
        }
        catch (GrammarException e)
        {
            throw new ArgumentException($"{file.Name}: {e.Message}", e);
        }
    }
}
