namespace EdgeLlm.EdgeRuntime.Bench;

/// <summary>
/// Everything measured at one thread count. <paramref name="BandwidthGbs"/> and <paramref name="BoundTokS"/> come from
/// the working-set probe (a buffer the size of one decode step's reads, so in the same cache level as the model: the
/// bound "% of bound" uses); the DRAM ones from a buffer at least 4× the last-level cache.
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
