namespace EdgeLlm.EdgeRuntime.Bench;

/// <summary>
/// Runs the measurements: per thread count, warm-up of each engine, the bandwidth, then repetitions alternating ours
/// and llama.cpp (the order swapped every repetition so a drift of the shared machine hits both alike), medians.
/// Memory is read after our warm-up and before llama.cpp is ever loaded, so its buffers are not counted as ours.
/// </summary>
public static class BenchRunner
{
    public static BenchResult Run(BenchOptions o, Action<string> log)
    {
        IBenchBackendFactory? llamaFactory = null;
        if (o.VsLlamaCpp)
        {
            if (!BenchPlugin.IsSupported)
            {
                throw new NotSupportedException(BenchPlugin.NotSupportedMessage);
            }

            llamaFactory = BenchPlugin.Load(o.LlamaCppPlugin);
        }

        MemoryBandwidth? bandwidth = null;
        double bw1 = 0;
        var runs = new List<ThreadResult>();
        ProcessMemory? memory = null;
        string? llamaDescription = null;
        int[] prompt = [];
        string modelName = "", weightType = "", kernel = "";
        int context = 0;
        long weightBytes = 0;
        double kvPerPosition = 0, kvCacheMb = 0;
        string kvCacheType = "";

        try
        {
            foreach (int threads in o.ThreadsList)
            {
                using var ours = new EngineBackend(o.ModelPath, threads, o.ContextLength, o.KvCache);
                if (prompt.Length == 0)
                {
                    var lm = ours.Model;
                    context = lm.ContextLength;
                    if (o.PromptTokens + o.GenTokens > context)
                    {
                        throw new ArgumentException($"--prompt-tokens {o.PromptTokens} + --gen-tokens {o.GenTokens} exceed the context of {context} tokens");
                    }

                    prompt = MakePrompt(lm.Tokenizer.BosId, lm.Tokenizer.EosId, lm.Config.VocabSize, o.PromptTokens);
                    modelName = lm.Name;
                    weightType = ours.WeightType;
                    kernel = lm.KernelPath;
                    weightBytes = ours.WeightBytesPerToken;
                    kvPerPosition = ours.KvBytesPerPosition;
                    kvCacheMb = lm.Description.KvCacheBytes / (1024.0 * 1024.0);
                    kvCacheType = lm.Description.KvCacheType.ToString().ToLowerInvariant();
                }

                log($"bench: {threads} thread(s): warm-up");
                ours.Run(prompt, o.GenTokens);
                ours.Run(prompt, o.GenTokens);
                if (bandwidth is null)
                {
                    // Memory first: the bandwidth buffer and llama.cpp must not count as ours, not even in the peak.
                    memory = ProcessMemory.Read(o.ModelPath);
                    bandwidth = new MemoryBandwidth();
                    log($"bench: streaming read over {bandwidth.BufferBytes >> 20} MB (LLC {bandwidth.LastLevelCacheBytes >> 20} MB)");
                    bw1 = bandwidth.Measure(1);
                }

                using IBenchBackend? llama = llamaFactory?.Create(o.ModelPath, threads, context);
                if (llama is not null)
                {
                    llamaDescription = llama.Description;
                    llama.Run(prompt, o.GenTokens);
                    llama.Run(prompt, o.GenTokens);
                }

                double bw = threads == 1 ? bw1 : bandwidth.Measure(threads);
                var mine = new List<BenchRun>();
                var theirs = new List<BenchRun>();
                for (int r = 0; r < o.Repetitions; r++)
                {
                    bool oursFirst = r % 2 == 0;
                    if (oursFirst)
                    {
                        mine.Add(ours.Run(prompt, o.GenTokens));
                    }

                    if (llama is not null)
                    {
                        theirs.Add(llama.Run(prompt, o.GenTokens));
                    }

                    if (!oursFirst)
                    {
                        mine.Add(ours.Run(prompt, o.GenTokens));
                    }

                    log($"bench: {threads} thread(s), repetition {r + 1}/{o.Repetitions}: ours decode {mine[^1].DecodeTokensPerSecond:F1} tok/s" +
                        (llama is null ? "" : $", llama.cpp {theirs[^1].DecodeTokensPerSecond:F1} tok/s"));
                }

                // Bandwidth again after the runs: the better of the two is the bound (the machine is shared).
                bw = Math.Max(bw, bandwidth.Measure(threads));
                double bytesPerToken = weightBytes + KvBytesPerToken(kvPerPosition, o);
                int matching = theirs.Count == 0 ? 0 : MatchingPrefix(mine[^1].Tokens, theirs[^1].Tokens);
                runs.Add(new ThreadResult(threads, Medians(mine), theirs.Count == 0 ? null : Medians(theirs), bw, bw * 1e9 / bytesPerToken, matching));
            }
        }
        finally
        {
            bandwidth?.Dispose();
        }

        return new BenchResult(o, modelName, weightType, kernel, context, weightBytes, KvBytesPerToken(kvPerPosition, o), kvCacheMb, kvCacheType, bw1,
            memory, llamaDescription, runs);
    }

    /// <summary>BOS, then tokens from a fixed pseudo-random sequence that avoids BOS/EOS and the first ids (unk/control).</summary>
    public static int[] MakePrompt(int bos, int eos, int vocab, int count)
    {
        var tokens = new int[count];
        tokens[0] = bos;
        ulong state = 0x9E3779B97F4A7C15UL;
        int low = Math.Min(3, vocab - 1);
        for (int i = 1; i < count; i++)
        {
            int t;
            do
            {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                t = low + (int)(state % (ulong)(vocab - low));
            }
            while (t == bos || t == eos);

            tokens[i] = t;
        }

        return tokens;
    }

    /// <summary>Average KV bytes a decode step reads: every cached position of every pass, at positions P..P+G-1.</summary>
    private static double KvBytesPerToken(double perPosition, BenchOptions o) => perPosition * (o.PromptTokens + ((o.GenTokens + 1) / 2.0));

    private static EngineNumbers Medians(List<BenchRun> runs) => new(
        Median(runs.Select(r => r.PrefillTokensPerSecond)),
        Median(runs.Select(r => r.DecodeTokensPerSecond)),
        Median(runs.Select(r => r.FirstTokenSeconds * 1000)),
        runs.Count);

    private static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length == 0 ? 0 : v.Length % 2 == 1 ? v[v.Length / 2] : (v[(v.Length / 2) - 1] + v[v.Length / 2]) / 2;
    }

    private static int MatchingPrefix(int[] a, int[] b)
    {
        int n = 0;
        while (n < a.Length && n < b.Length && a[n] == b[n])
        {
            n++;
        }

        return n;
    }
}
