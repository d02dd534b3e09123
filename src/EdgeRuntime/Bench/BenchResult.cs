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

    public ThreadResult Primary => Runs.First(r => r.Threads == Options.Threads);
}
