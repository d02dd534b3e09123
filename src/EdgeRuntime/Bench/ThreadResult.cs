namespace EdgeLlm.EdgeRuntime.Bench;

/// <summary>Everything measured at one thread count.</summary>
public sealed record ThreadResult(int Threads, EngineNumbers Ours, EngineNumbers? LlamaCpp, double BandwidthGbs, double BoundTokS, int GreedyTokensMatching);
