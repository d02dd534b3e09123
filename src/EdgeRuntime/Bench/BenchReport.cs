using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeLlm.Kernels;

namespace EdgeLlm.EdgeRuntime.Bench;

/// <summary>The bench's outputs: one JSON line, a human table.</summary>
public static class BenchReport
{
    private const double Mb = 1024 * 1024;

    /// <summary>One line of JSON (snake_case); the top-level numbers describe <c>-t</c>, <c>per_threads</c> every thread count.</summary>
    public static string Json(BenchResult r)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            var p = r.Primary;
            w.WriteStartObject();
            WriteRun(w, r, p);
            w.WriteString("file", Path.GetFullPath(r.Options.ModelPath));
            if (r.Options.LlamaCppModelPath is { } ggml)
            {
                w.WriteString("llamacpp_file", Path.GetFullPath(ggml));
            }

            w.WriteString("model", r.ModelName);
            w.WriteString("type", r.WeightType);
            w.WriteString("kernel", r.Kernel);
            w.WriteNumber("prompt_tokens", r.Options.PromptTokens);
            w.WriteNumber("gen_tokens", r.Options.GenTokens);
            w.WriteNumber("repetitions", r.Options.Repetitions);
            w.WriteNumber("context", r.ContextLength);
            w.WriteNumber("weight_bytes_per_token", r.WeightBytesPerToken);
            w.WriteNumber("kv_bytes_per_token", Math.Round(r.KvBytesPerToken));
            w.WriteNumber("kv_cache_mb", Round(r.KvCacheMb));
            w.WriteString("kv_cache", r.KvCacheType);
            w.WriteNumber("bandwidth_1t_gbs", Round(r.Bandwidth1Gbs));
            w.WriteNumber("working_set_bytes", (long)Math.Ceiling(r.BytesPerToken));
            w.WriteNumber("working_set_probe_bytes", r.WorkingSetProbeBytes);
            w.WriteNumber("dram_probe_bytes", r.DramProbeBytes);
            w.WriteString("working_set_probe", r.WorkingSetProbe);
            w.WriteString("dram_probe", r.DramProbe);
            Number(w, "llc_bytes", r.LastLevelCache?.Bytes);
            if (r.LastLevelCache is { } llc)
            {
                w.WriteString("llc_source", llc.Source);
            }
            else
            {
                w.WriteNull("llc_source");
            }
            var m = r.Memory;
            Number(w, "rss_beyond_map_mb", m?.PrivateBeyondMapMb);
            Number(w, "rss_mb", m?.RssMb);
            Number(w, "peak_rss_mb", m?.PeakRssMb);
            Number(w, "model_map_rss_mb", m?.ModelMapRssMb);
            Number(w, "private_dirty_mb", m?.PrivateDirtyMb);
            Number(w, "anon_rss_mb", m?.AnonMb);
            if (r.LlamaCppDescription is null)
            {
                w.WriteNull("llamacpp");
            }
            else
            {
                w.WriteString("llamacpp", r.LlamaCppDescription);
            }

            w.WriteStartArray("per_threads");
            foreach (var run in r.Runs)
            {
                w.WriteStartObject();
                WriteRun(w, r, run);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>A table a person reads: one row per thread count and engine.</summary>
    public static string Table(BenchResult r)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine(inv, $"model      {r.ModelName} ({r.WeightType}), {Path.GetFileName(r.Options.ModelPath)}; kernel {r.Kernel}; context {r.ContextLength}");
        sb.AppendLine(inv, $"workload   prompt {r.Options.PromptTokens} tokens, generate {r.Options.GenTokens} tokens greedy; median of {r.Options.Repetitions} repetitions after warm-up");
        sb.AppendLine(inv, $"per token  {r.WeightBytesPerToken / Mb:F1} MB of weights + {r.KvBytesPerToken / Mb:F2} MB of KV cache read (average over the decode)");
        string l3 = r.LastLevelCache?.Bytes is { } b
            ? string.Create(inv, $"at least 4x the {b / Mb:F0} MB L3 ({r.LastLevelCache.Source})")
            : $"L3 unknown: {r.LastLevelCache?.Source ?? "not read"}";
        sb.AppendLine(inv, $"bounds     working set: the same threads read {r.WorkingSetProbe} (one decode step's reads, the model's own pages, so the same cache level as the model); DRAM: {r.DramProbe}, {l3}; medians of one probe per repetition");
        if (r.LlamaCppDescription is not null)
        {
            string file = r.Options.LlamaCppModelPath is { } ggml ? $" on {Path.GetFileName(ggml)} (the same weights in ggml's layout, checked tensor by tensor)" : string.Empty;
            sb.AppendLine(inv, $"llama.cpp  {r.LlamaCppDescription}{file}");
        }

        if (r.Memory is { } m)
        {
            sb.AppendLine(inv, $"memory     RSS {m.RssMb:F1} MB (peak {m.PeakRssMb:F1}), of which the model map {m.ModelMapRssMb:F1} MB; private beyond the map {m.PrivateBeyondMapMb:F1} MB " +
                               $"({m.PrivateDirtyMb:F1} MB written: heap, KV cache, JIT code; the rest clean pages of the runtime's own files, private while no other .NET process maps them)");
            sb.AppendLine(inv, $"KV cache   {r.KvCacheType}, {r.KvCacheMb:F1} MB allocated for {r.ContextLength} tokens, touched as far as the run went");
        }

        sb.AppendLine();
        sb.AppendLine("threads  engine      prefill tok/s  decode tok/s  TTFT ms  working-set GB/s  bound tok/s  % of bound  DRAM GB/s  DRAM bound  % of DRAM");
        foreach (var run in r.Runs)
        {
            Row(sb, run.Threads, "edgellm", run.Ours, run);
            if (run.LlamaCpp is { } l)
            {
                Row(sb, run.Threads, "llama.cpp", l, run);
                sb.AppendLine(inv, $"{"",7}  {"ratio",-10}  {run.Ours.PrefillTokS / l.PrefillTokS,13:F2}x {run.Ours.DecodeTokS / l.DecodeTokS,12:F2}x" +
                                   $"   greedy tokens identical for the first {run.GreedyTokensMatching} of {r.Options.GenTokens + 1}");
            }
        }

        return sb.ToString();
    }

    private static void Row(StringBuilder sb, int threads, string engine, EngineNumbers n, ThreadResult run) =>
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"{threads,7}  {engine,-10}  {n.PrefillTokS,13:F1}  {n.DecodeTokS,12:F1}  {n.TtftMs,7:F1}  {run.BandwidthGbs,16:F1}  {run.BoundTokS,11:F0}  {Pct(n.DecodeTokS, run.BoundTokS),8:F0} %" +
            $"  {run.DramBandwidthGbs,9:F1}  {run.DramBoundTokS,10:F0}  {Pct(n.DecodeTokS, run.DramBoundTokS),7:F0} %"));

    private static double Pct(double value, double bound) => bound > 0 ? 100 * value / bound : double.NaN;

    private static void WriteRun(Utf8JsonWriter w, BenchResult r, ThreadResult run)
    {
        var l = run.LlamaCpp;
        w.WriteNumber("threads", run.Threads);
        w.WriteNumber("decode_tok_s", Round(run.Ours.DecodeTokS));
        w.WriteNumber("prefill_tok_s", Round(run.Ours.PrefillTokS));
        w.WriteNumber("ttft_ms", Round(run.Ours.TtftMs));
        Number(w, "llamacpp_decode_tok_s", l?.DecodeTokS);
        Number(w, "llamacpp_prefill_tok_s", l?.PrefillTokS);
        Number(w, "llamacpp_ttft_ms", l?.TtftMs);
        Number(w, "decode_ratio", l is null ? null : run.Ours.DecodeTokS / l.DecodeTokS, 3);
        Number(w, "prefill_ratio", l is null ? null : run.Ours.PrefillTokS / l.PrefillTokS, 3);
        w.WriteNumber("bandwidth_gbs", Round(run.BandwidthGbs));
        w.WriteNumber("bandwidth_bound_tok_s", Round(run.BoundTokS));
        w.WriteNumber("pct_of_bound", Round(100 * run.Ours.DecodeTokS / run.BoundTokS));
        Number(w, "llamacpp_pct_of_bound", l is null ? null : 100 * l.DecodeTokS / run.BoundTokS);
        w.WriteNumber("dram_bandwidth_gbs", Round(run.DramBandwidthGbs));
        w.WriteNumber("dram_bound_tok_s", Round(run.DramBoundTokS));
        Number(w, "pct_of_dram_bound", Pct(run.Ours.DecodeTokS, run.DramBoundTokS));
        Number(w, "llamacpp_pct_of_dram_bound", l is null ? null : Pct(l.DecodeTokS, run.DramBoundTokS));
        w.WriteNumber("bytes_per_token", Math.Round(r.BytesPerToken));
        if (l is not null)
        {
            w.WriteNumber("greedy_tokens_matching", run.GreedyTokensMatching);
        }
    }

    private static void Number(Utf8JsonWriter w, string name, double? value, int digits = 2)
    {
        if (value is { } v && double.IsFinite(v))
        {
            w.WriteNumber(name, Math.Round(v, digits));
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static double Round(double v) => double.IsFinite(v) ? Math.Round(v, 2) : 0;
}
