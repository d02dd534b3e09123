using EdgeLlm.Kernels;

namespace EdgeLlm.EdgeRuntime.Bench;

/// <summary>
/// Runs the measurements: per thread count, warm-up of each engine, the two bandwidth probes (working set and DRAM,
/// with the same threads), then repetitions alternating ours and llama.cpp (the order swapped every repetition so a
/// drift of the shared machine hits both alike), the probes again, medians. Memory is read after our warm-up and
/// before the probes' buffers or llama.cpp exist, so neither is counted as ours.
/// </summary>
public static class BenchRunner
{
    public static BenchResult Run(BenchOptions o, Action<string> log)
    {
        IBenchBackendFactory? llamaFactory = BenchPlugin.LoadIfAsked(o);
        MemoryBandwidth? bandwidth = null, dram = null;
        LastLevelCache llc = LastLevelCache.Read();
        DecodeWorkingSet? workingSet = null;
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
                if (bandwidth is null || dram is null || workingSet is null)
                {
                    // Memory first: the probes' buffers and llama.cpp must not count as ours, not even in the peak.
                    memory = ProcessMemory.Read(o.ModelPath);
                    workingSet = DecodeWorkingSet.For(weightBytes, kvPerPosition, o.PromptTokens, o.GenTokens);
                    bandwidth = MemoryBandwidth.OverFile(o.ModelPath, workingSet.Bytes);
                    dram = MemoryBandwidth.ForDram(o.ModelPath, llc);
                    log($"bench: streaming read over {bandwidth.What} (one decode step's reads, the model's own pages) and for DRAM over {dram.What} " +
                        (llc.Bytes is { } l3 ? $"(at least 4x the {l3 >> 20} MB L3, {llc.Source})" : $"({llc.Source})"));
                    bw1 = bandwidth.Measure(1);
                }

                using IBenchBackend? llama = llamaFactory?.Create(o.LlamaCppModel, threads, context);
                if (llama is not null)
                {
                    llamaDescription = llama.Description;
                    llama.Run(prompt, o.GenTokens);
                    llama.Run(prompt, o.GenTokens);
                }

                // The probes run once per repetition, beside the engines, and the medians are the bounds: the host's
                // memory bandwidth drifts by tens of percent within minutes here (a VM on a shared host), so a probe
                // measured once before or after the runs can miss the conditions the engines saw.
                var mine = new List<BenchRun>();
                var theirs = new List<BenchRun>();
                var probes = new List<double>();
                var dramProbes = new List<double>();
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

                    probes.Add(bandwidth.Measure(threads, passes: 3));
                    dramProbes.Add(dram.Measure(threads, passes: 3));
                    log($"bench: {threads} thread(s), repetition {r + 1}/{o.Repetitions}: ours decode {mine[^1].DecodeTokensPerSecond:F1} tok/s" +
                        (llama is null ? "" : $", llama.cpp {theirs[^1].DecodeTokensPerSecond:F1} tok/s") +
                        $"; streaming {probes[^1]:F1} GB/s over the working set, {dramProbes[^1]:F1} GB/s DRAM");
                }

                double bw = Median(probes);
                double bwDram = Median(dramProbes);
                double bytesPerToken = workingSet.Bytes;
                int matching = theirs.Count == 0 ? 0 : MatchingPrefix(mine[^1].Tokens, theirs[^1].Tokens);
                runs.Add(new ThreadResult(threads, Medians(mine), theirs.Count == 0 ? null : Medians(theirs), bw, bw * 1e9 / bytesPerToken, matching,
                    bwDram, bwDram * 1e9 / bytesPerToken));
            }
        }
        finally
        {
            bandwidth?.Dispose();
            dram?.Dispose();
        }

        var ws = DecodeWorkingSet.For(weightBytes, kvPerPosition, o.PromptTokens, o.GenTokens);
        return new BenchResult(o, modelName, weightType, kernel, context, weightBytes, ws.KvBytes, kvCacheMb, kvCacheType, bw1,
            memory, llamaDescription, runs)
        {
            WorkingSetProbeBytes = bandwidth?.BufferBytes ?? 0,
            DramProbeBytes = dram?.BufferBytes ?? 0,
            WorkingSetProbe = bandwidth?.What ?? "",
            DramProbe = dram?.What ?? "",
            LastLevelCache = llc,
        };
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
