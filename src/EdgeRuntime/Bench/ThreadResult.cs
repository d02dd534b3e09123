namespace EdgeLlm.EdgeRuntime.Bench;

/// <summary>
/// Everything measured at one thread count. <paramref name="BandwidthGbs"/> and <paramref name="BoundTokS"/> come from
/// the working-set probe (one decode step's worth of the model file's own pages, so in the same cache level as the
/// model: the bound "% of bound" uses); the DRAM ones from at least 4× the last-level cache (the model file when it is
/// that large, else a buffer). Both are medians of one probe per repetition.
/// </summary>
public sealed record ThreadResult(
    int Threads,
    EngineNumbers Ours,
    EngineNumbers? LlamaCpp,
    double BandwidthGbs,
    double BoundTokS,
    int GreedyTokensMatching,
    double DramBandwidthGbs = 0,
    double DramBoundTokS = 0);
