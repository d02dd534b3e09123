using EdgeLlm.Kernels;

namespace EdgeLlm.EdgeRuntime.Bench;

/// <summary>The whole run.</summary>
public sealed record BenchResult(
    BenchOptions Options,
    string ModelName,
    string WeightType,
    string Kernel,
    int ContextLength,
    long WeightBytesPerToken,
    double KvBytesPerToken,
    double KvCacheMb,
    string KvCacheType,
    double Bandwidth1Gbs,
    ProcessMemory? Memory,
    string? LlamaCppDescription,
    IReadOnlyList<ThreadResult> Runs)
{
    public double BytesPerToken => WeightBytesPerToken + KvBytesPerToken;

    /// <summary>Bytes the working-set probe reads (one decode step's reads, of the model file), 0 when not measured.</summary>
    public long WorkingSetProbeBytes { get; init; }

    /// <summary>Bytes the DRAM probe reads, 0 when not measured.</summary>
    public long DramProbeBytes { get; init; }

    /// <summary>What the working-set probe read (<see cref="MemoryBandwidth.What"/>).</summary>
    public string WorkingSetProbe { get; init; } = "";

    /// <summary>What the DRAM probe read (<see cref="MemoryBandwidth.What"/>).</summary>
    public string DramProbe { get; init; } = "";

    /// <summary>The level-3 cache the DRAM probe is sized from, or why it is unknown.</summary>
    public LastLevelCache? LastLevelCache { get; init; }

    public ThreadResult Primary => Runs.First(r => r.Threads == Options.Threads);
}
