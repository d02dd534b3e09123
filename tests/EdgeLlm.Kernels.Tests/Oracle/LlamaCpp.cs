using System.Runtime.InteropServices;
using System.Text;
using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Sampling;
using LLama;
using LLama.Common;
using LLama.Exceptions;
using LLama.Native;

namespace EdgeLlm.Kernels.Tests.Oracle;

/// <summary>
/// llama.cpp (through LLamaSharp 0.30 and its CPU backend) as the test oracle: logits, greedy tokens,
/// tokenization and quantization on the same GGUF our engine reads.
/// </summary>
/// <remarks>
/// <para>
/// Every call loads the file, does its work and frees every native handle before it returns; calls are
/// serialized by one lock, so the llama.cpp log captured during a call belongs to that call. The log is not
/// printed: it is kept and appended to the exception message when a call fails.
/// </para>
/// <para>
/// What llama.cpp's quantizer (llama_model_quantize, llama.cpp c0c7e147 as shipped in LLamaSharp 0.30,
/// src/llama-quant.cpp) does with our tensors, for Q8_0 and Q4_0 files:
/// </para>
/// <list type="bullet">
/// <item>1-D tensors (all norms) are never quantized: they are copied in their source type (F32 stays F32).
/// Any tensor whose name contains "_norm.weight" is also left alone, even if 2-D.</item>
/// <item>A 2-D tensor whose row length (ne[0]) is not a multiple of the target block (32 for Q8_0/Q4_0)
/// has no fallback for these types: llama.cpp throws "no tensor type fallback is defined for type q8_0"
/// (or q4_0) and the whole quantization FAILS (llama_model_quantize returns 1). So stories260K
/// (ffn_down rows of 172) cannot be quantized to Q8_0/Q4_0 by llama.cpp at all, not even with pure=true.
/// Only K-quant targets fall back (Q6_K to Q8_0, then to F16 when ne[0] % 32 != 0).</item>
/// <item>token_embd.weight with a separate output.weight: quantized to the file type (Q8_0 / Q4_0).</item>
/// <item>output.weight, and token_embd.weight when there is no output.weight (tied): with a Q8_0 file it is
/// Q8_0; with a Q4_0 file it becomes Q6_K when ne[0] % 256 == 0, else Q8_0 (576 and 64 give Q8_0). With
/// pure=true it gets the file type like every other tensor.</item>
/// <item>Other 2-D weights (attn_q/k/v/output, ffn_gate/up/down) get the file type (no imatrix given).</item>
/// <item>The output file gets general.file_type and general.quantization_version=2, keeps every other key,
/// and lists the tensors in llama.cpp's weight-map order, not the input order: tensors outside blocks first,
/// then blk.0.*, blk.1.*, ..., each group sorted by name (ordinal). Compare tensor by tensor, not file bytes.</item>
/// </list>
/// <para>
/// Keys llama.cpp needs to load a "llama" GGUF (llama_model_base::load_hparams, llama_model_llama,
/// llama_vocab::load): general.architecture = "llama"; llama.context_length, llama.embedding_length,
/// llama.block_count, llama.attention.layer_norm_rms_epsilon (missing: "key not found in model");
/// llama.feed_forward_length and llama.attention.head_count (read as optional, but without them the tensor
/// shapes cannot match); tokenizer.ggml.model = "llama" and tokenizer.ggml.tokens. Optional with defaults:
/// llama.attention.head_count_kv (= head_count), llama.rope.dimension_count (= head dim, and it must equal it:
/// "invalid n_rot"), llama.rope.freq_base (10000), llama.vocab_size (= token count), tokenizer.ggml.scores (0),
/// tokenizer.ggml.token_type (normal), tokenizer.ggml.bos/eos/unknown_token_id (1/2/0),
/// tokenizer.ggml.add_bos_token (true). Tensors: token_embd.weight, output_norm.weight, output.weight
/// (optional: tied to token_embd), blk.N.{attn_norm, attn_q, attn_k, attn_v, attn_output, ffn_norm, ffn_gate,
/// ffn_down, ffn_up}.weight. The vocab GGUF's 22 keys pass all of this: loading it as a model stops at
/// "missing tensor 'token_embd.weight'" (see the tests).
/// </para>
/// </remarks>
public static class LlamaCpp
{
    private const int MaxLogChars = 64 * 1024;

    private static readonly Lock Gate = new();
    private static readonly Lock LogGate = new();
    private static readonly StringBuilder LogBuffer = new();
    private static readonly Lazy<string> Loaded = new(LoadNative, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Which native llama.cpp this process loaded (LLamaSharp's metadata, the libllama.so path and
    /// llama.cpp's own system info). Loads the library on first use.
    /// </summary>
    public static string NativeLibrary => Loaded.Value;

    /// <summary>The llama.cpp log of the last call (for diagnostics).</summary>
    public static string LastLog
    {
        get
        {
            lock (LogGate)
            {
                return LogBuffer.ToString();
            }
        }
    }

    /// <summary>
    /// Logits at every position of <paramref name="tokens"/>, decoded as one batch from position 0 in a
    /// context exactly as long as the sequence. Nothing is added: the caller passes BOS if it wants one.
    /// </summary>
    /// <remarks>
    /// The KV cache is F32 and flash attention is off, so llama.cpp's attention does not round K/V to F16:
    /// the remaining differences are those of the weights' own types and summation order.
    /// </remarks>
    public static float[][] Logits(string ggufPath, IReadOnlyList<int> tokens, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Count == 0)
        {
            throw new ArgumentException("at least one token is needed", nameof(tokens));
        }

        return Run(ggufPath, () =>
        {
            using LLamaWeights weights = LoadWeights(ggufPath);
            using LLamaContext context = CreateContext(weights, tokens.Count, threads);
            CheckTokens(weights, tokens);

            var batch = new LLamaBatch();
            for (int i = 0; i < tokens.Count; i++)
            {
                batch.Add(tokens[i], i, LLamaSeqId.Zero, true);
            }

            Decode(context, batch, ggufPath);

            var logits = new float[tokens.Count][];
            for (int i = 0; i < tokens.Count; i++)
            {
                logits[i] = context.NativeHandle.GetLogitsIth(i).ToArray();
            }

            return logits;
        });
    }

    /// <summary>
    /// Greedy generation: decodes the prompt, then <paramref name="count"/> times takes the argmax of the last
    /// logits (lowest id on ties) and feeds it back. Returns the generated ids; EOS/BOS do not stop it.
    /// </summary>
    public static int[] Greedy(string ggufPath, IReadOnlyList<int> promptTokens, int count, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(promptTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (promptTokens.Count == 0)
        {
            throw new ArgumentException("the prompt needs at least one token", nameof(promptTokens));
        }

        return Run(ggufPath, () =>
        {
            using LLamaWeights weights = LoadWeights(ggufPath);
            using LLamaContext context = CreateContext(weights, promptTokens.Count + count, threads);
            CheckTokens(weights, promptTokens);

            var generated = new int[count];
            var batch = new LLamaBatch();
            for (int i = 0; i < promptTokens.Count; i++)
            {
                batch.Add(promptTokens[i], i, LLamaSeqId.Zero, i == promptTokens.Count - 1);
            }

            int position = promptTokens.Count;
            for (int n = 0; n < count; n++)
            {
                Decode(context, batch, ggufPath);
                int next = Sampler.ArgMax(context.NativeHandle.GetLogitsIth(batch.TokenCount - 1));
                generated[n] = next;

                batch.Clear();
                batch.Add(next, position++, LLamaSeqId.Zero, true);
            }

            return generated;
        });
    }

    /// <summary>
    /// llama.cpp's tokenizer on a vocab-only load (works on files without tensors). Special tokens written in
    /// the text are treated as plain text, as in llama.cpp's tokenizer tests.
    /// </summary>
    public static int[] Tokenize(string ggufPath, string text, bool addBos)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Run(ggufPath, () =>
        {
            using LLamaWeights weights = LoadWeights(ggufPath, vocabOnly: true);
            LLamaToken[] tokens = weights.Tokenize(text, addBos, special: false, Encoding.UTF8);
            return Array.ConvertAll(tokens, t => (int)t);
        });
    }

    /// <summary>
    /// llama.cpp's own quantizer (llama_model_quantize with llama-quantize's defaults: output tensor quantized,
    /// no requantizing, no imatrix) on one thread. See the class remarks for what it does per tensor.
    /// </summary>
    /// <param name="pure">Give every quantizable tensor <paramref name="type"/> (llama-quantize --pure); otherwise
    /// output.weight / tied token_embd.weight follow llama.cpp's mixture rules.</param>
    public static void Quantize(string srcGguf, string dstGguf, GgmlType type, bool pure = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(dstGguf);
        LLamaFtype ftype = type switch
        {
            GgmlType.Q8_0 => LLamaFtype.MOSTLY_Q8_0,
            GgmlType.Q4_0 => LLamaFtype.MOSTLY_Q4_0,
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "only Q8_0 and Q4_0 are oracled"),
        };

        Run(srcGguf, () =>
        {
            LLamaModelQuantizeParams parameters = LLamaModelQuantizeParams.Default();
            parameters.ftype = ftype;
            parameters.nthread = 1;
            parameters.pure = pure;
            uint rc = NativeApi.llama_model_quantize(srcGguf, dstGguf, ref parameters);
            if (rc != 0)
            {
                throw Failure($"llama_model_quantize({srcGguf} -> {dstGguf}, {type}) returned {rc}");
            }

            return true;
        });
    }

    /// <summary>
    /// Runs <paramref name="body"/> with a vocab-only load of <paramref name="ggufPath"/>: it gets the native
    /// <c>llama_model*</c> and the handle of the loaded libllama.so, for entry points LLamaSharp does not wrap
    /// safely (its AddGrammar passes a failed grammar's null on to the chain).
    /// </summary>
    public static T WithVocabulary<T>(string ggufPath, Func<IntPtr, IntPtr, T> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return Run(ggufPath, () =>
        {
            using LLamaWeights weights = LoadWeights(ggufPath, vocabOnly: true);
            string lib = LoadedLibraryPaths().FirstOrDefault(p => Path.GetFileName(p) == "libllama.so")
                ?? throw new InvalidOperationException("libllama.so is not mapped in this process");
            IntPtr handle = System.Runtime.InteropServices.NativeLibrary.Load(lib);
            try
            {
                return body(weights.NativeHandle.DangerousGetHandle(), handle);
            }
            finally
            {
                System.Runtime.InteropServices.NativeLibrary.Free(handle);
            }
        });
    }

    private static T Run<T>(string ggufPath, Func<T> body)
    {
        ArgumentException.ThrowIfNullOrEmpty(ggufPath);
        if (!File.Exists(ggufPath))
        {
            throw new FileNotFoundException($"GGUF not found: {ggufPath}", ggufPath);
        }

        _ = Loaded.Value;
        lock (Gate)
        {
            lock (LogGate)
            {
                LogBuffer.Clear();
            }

            return body();
        }
    }

    private static LLamaWeights LoadWeights(string path, bool vocabOnly = false)
    {
        var parameters = new ModelParams(path)
        {
            VocabOnly = vocabOnly,
            GpuLayerCount = 0,
        };

        try
        {
            return LLamaWeights.LoadFromFile(parameters);
        }
        catch (LoadWeightsFailedException e)
        {
            throw Failure($"llama.cpp could not load {path}{(vocabOnly ? " (vocab only)" : string.Empty)}", e);
        }
    }

    /// <summary>
    /// The context settings of every evaluation: one sequence of exactly <paramref name="length"/> tokens,
    /// decoded in one micro-batch, F32 KV cache, no flash attention, no embeddings output.
    /// </summary>
    internal static ModelParams ContextParameters(int length, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        return new ModelParams(string.Empty)
        {
            ContextSize = (uint)length,
            BatchSize = (uint)length,
            UBatchSize = (uint)length,
            SeqMax = 1,
            Threads = threads,
            BatchThreads = threads,
            TypeK = GGMLType.GGML_TYPE_F32,
            TypeV = GGMLType.GGML_TYPE_F32,
            FlashAttention = false,
            Embeddings = false,
        };
    }

    private static LLamaContext CreateContext(LLamaWeights weights, int length, int threads)
    {
        ModelParams parameters = ContextParameters(length, threads);
        try
        {
            return weights.CreateContext(parameters);
        }
        catch (RuntimeError e)
        {
            throw Failure($"llama.cpp could not create a context of {length} tokens", e);
        }
    }

    private static void CheckTokens(LLamaWeights weights, IReadOnlyList<int> tokens)
    {
        int vocab = weights.Vocab.Count;
        for (int i = 0; i < tokens.Count; i++)
        {
            if ((uint)tokens[i] >= (uint)vocab)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), tokens[i], $"token {i} is outside the vocabulary of {vocab}");
            }
        }
    }

    private static void Decode(LLamaContext context, LLamaBatch batch, string path)
    {
        DecodeResult result = context.NativeHandle.Decode(batch);
        if (result != DecodeResult.Ok)
        {
            throw Failure($"llama_decode of {batch.TokenCount} tokens on {path} returned {result}");
        }
    }


    private static InvalidOperationException Failure(string what, Exception? inner = null)
    {
        string log = LastLog.TrimEnd();
        return new InvalidOperationException(
            log.Length == 0 ? what : $"{what}\n--- llama.cpp log ---\n{log}", inner);
    }

    private static void OnLog(LLamaLogLevel level, string message)
    {
        if (level is LLamaLogLevel.Debug)
        {
            return;
        }

        lock (LogGate)
        {
            if (LogBuffer.Length < MaxLogChars)
            {
                LogBuffer.Append(message);
            }
        }
    }

    private static string LoadNative()
    {
        // The log callback must be registered before the library loads; CUDA/Vulkan are off (the CPU backend
        // package is the only one referenced, this only keeps the probe from looking for them).
        if (!NativeLibraryConfig.LLama.LibraryHasLoaded)
        {
            NativeLibraryConfig.All.WithCuda(false).WithVulkan(false).WithLogCallback(OnLog);
        }
        else
        {
            NativeLogConfig.llama_log_set(OnLog);
        }

        NativeApi.llama_empty_call();

        var description = new StringBuilder();
        description.Append(NativeApi.GetLoadedNativeLibrary(NativeLibraryName.LLama)?.Metadata?.ToString() ?? "metadata unknown");
        foreach (string mapped in LoadedLibraryPaths())
        {
            description.Append("; ").Append(mapped);
        }

        description.Append("; ").Append(Marshal.PtrToStringUTF8(NativeApi.llama_print_system_info())?.Trim());
        return description.ToString();
    }

    private static IEnumerable<string> LoadedLibraryPaths()
    {
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps))
        {
            return [];
        }

        return File.ReadLines(maps)
            .Select(line => line.IndexOf('/') is int slash and >= 0 ? line[slash..] : string.Empty)
            .Where(path => Path.GetFileName(path) is "libllama.so" or "libggml-cpu.so")
            .Distinct()
            .ToList();
    }
}
