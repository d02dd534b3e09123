using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using EdgeLlm.EdgeRuntime.Bench;
using EdgeLlm.Kernels.Sampling;
using LLama;
using LLama.Common;
using LLama.Native;

namespace EdgeLlm.Bench;

/// <summary>
/// llama.cpp through LLamaSharp 0.30 as a bench backend, configured as a user would run it: llama.cpp's default
/// context settings (F16 KV cache, flash attention auto, LLamaSharp's batch sizes) except the context length and
/// the thread counts, which match ours.
/// </summary>
public sealed class LlamaCppBenchFactory : IBenchBackendFactory
{
    public IBenchBackend Create(string modelPath, int threads, int contextLength) => new LlamaCppBackend(modelPath, threads, contextLength);
}

internal sealed partial class LlamaCppBackend : IBenchBackend
{
    private static readonly Lazy<string> Native = new(InitNative, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly StringBuilder Log = new();

    private readonly LLamaWeights _weights;
    private readonly LLamaContext _context;
    private readonly LLamaBatch _batch = new();

    public LlamaCppBackend(string modelPath, int threads, int contextLength)
    {
        _ = Native.Value;
        var parameters = new ModelParams(modelPath)
        {
            ContextSize = (uint)contextLength,
            Threads = threads,
            BatchThreads = threads,
            GpuLayerCount = 0,
        };
        try
        {
            _weights = LLamaWeights.LoadFromFile(parameters);
            _context = _weights.CreateContext(parameters);
        }
        catch (Exception e) when (e is LLama.Exceptions.RuntimeError or LLama.Exceptions.LoadWeightsFailedException)
        {
            throw new InvalidOperationException($"llama.cpp could not load {modelPath}: {e.Message} {LastLog()}", e);
        }

        Description = $"{Native.Value}; n_ctx {_context.ContextSize}, n_batch {_context.BatchSize}, n_ubatch {_context.NativeHandle.UBatchSize}, {threads} thread(s), KV cache {(parameters.TypeK is { } k ? k.ToString() : "f16 (its default)")}";
    }

    public string Description { get; }

    public BenchRun Run(int[] promptTokens, int generateTokens)
    {
        ArgumentNullException.ThrowIfNull(promptTokens);
        _context.NativeHandle.MemoryClear(true);
        var tokens = new int[generateTokens + 1];
        long start = Stopwatch.GetTimestamp();

        // Prefill in batches of n_batch (one when the prompt fits), logits for the last prompt token only.
        int batchSize = (int)_context.BatchSize;
        for (int from = 0; from < promptTokens.Length; from += batchSize)
        {
            _batch.Clear();
            int to = Math.Min(promptTokens.Length, from + batchSize);
            for (int i = from; i < to; i++)
            {
                _batch.Add(promptTokens[i], i, LLamaSeqId.Zero, i == promptTokens.Length - 1);
            }

            Decode();
        }

        long prefilled = Stopwatch.GetTimestamp();
        tokens[0] = Sampler.ArgMax(_context.NativeHandle.GetLogitsIth(_batch.TokenCount - 1));
        long first = Stopwatch.GetTimestamp();

        for (int g = 0; g < generateTokens; g++)
        {
            _batch.Clear();
            _batch.Add(tokens[g], promptTokens.Length + g, LLamaSeqId.Zero, true);
            Decode();
            tokens[g + 1] = Sampler.ArgMax(_context.NativeHandle.GetLogitsIth(0));
        }

        long end = Stopwatch.GetTimestamp();
        return new BenchRun(Seconds(start, prefilled), Seconds(start, first), Seconds(first, end), generateTokens, tokens)
        {
            PromptTokens = promptTokens.Length,
        };
    }

    public void Dispose()
    {
        _context.Dispose();
        _weights.Dispose();
    }

    private void Decode()
    {
        DecodeResult result = _context.NativeHandle.Decode(_batch);
        if (result != DecodeResult.Ok)
        {
            throw new InvalidOperationException($"llama_decode of {_batch.TokenCount} tokens returned {result} {LastLog()}");
        }
    }


    private static double Seconds(long from, long to) => (to - from) / (double)Stopwatch.Frequency;

    private static string LastLog()
    {
        lock (Log)
        {
            return Log.Length == 0 ? "" : "(llama.cpp: " + Log.ToString().Trim().Replace('\n', ' ') + ")";
        }
    }

    /// <summary>Native llama.cpp from this plugin's folder, its log kept quiet (warnings and errors are kept for failures).</summary>
    private static string InitNative()
    {
        string folder = Path.GetDirectoryName(typeof(LlamaCppBackend).Assembly.Location) ?? AppContext.BaseDirectory;
        if (!NativeLibraryConfig.LLama.LibraryHasLoaded)
        {
            NativeLibraryConfig.All.WithCuda(false).WithVulkan(false).WithSearchDirectory(folder).WithLogCallback(OnLog);
        }

        NativeApi.llama_empty_call();
        string library = NativeApi.GetLoadedNativeLibrary(NativeLibraryName.LLama)?.Metadata?.ToString() ?? "llama.cpp";
        string system = Marshal.PtrToStringUTF8(NativeApi.llama_print_system_info())?.Trim() ?? "";
        string version = typeof(LlamaCppBackend).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .OfType<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "LLamaSharpVersion")?.Value ?? "?";
        return $"llama.cpp via LLamaSharp {version} [{library.Trim('(', ')')}]; {system.TrimEnd('|', ' ')}";
    }

    private static void OnLog(LLamaLogLevel level, string message)
    {
        if (level is LLamaLogLevel.Warning or LLamaLogLevel.Error)
        {
            lock (Log)
            {
                if (Log.Length < 4096)
                {
                    Log.Append(message);
                }
            }
        }
    }
}
