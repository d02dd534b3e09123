namespace EdgeLlm.EdgeRuntime.Bench;

/// <summary>
/// The bytes one decode step reads: every weight byte it multiplies with, plus the KV cache rows its attention reads,
/// averaged over the measured decode (positions P .. P+G−1 attend to P+1 .. P+G cached positions, each of every layer
/// pass). The bandwidth probe reads this many bytes of the model file's own pages (fewer when the file is shorter),
/// so its data sits in the same cache level and memory as the model's; the bound is the probe's bandwidth divided by this.
/// </summary>
/// <param name="WeightBytes">Weight bytes a step reads.</param>
/// <param name="KvBytes">Average KV cache bytes a step reads.</param>
public sealed record DecodeWorkingSet(long WeightBytes, double KvBytes)
{
    /// <summary>Weights plus KV cache, in bytes (whole bytes, rounded up).</summary>
    public long Bytes => WeightBytes + (long)Math.Ceiling(KvBytes);

    /// <summary>
    /// The working set of decoding <paramref name="genTokens"/> tokens after a <paramref name="promptTokens"/>-token
    /// prompt: the step at position p reads p + 1 cached positions of <paramref name="kvBytesPerPosition"/> bytes, so the
    /// average step reads P + (G + 1) / 2 of them.
    /// </summary>
    public static DecodeWorkingSet For(long weightBytesPerToken, double kvBytesPerPosition, int promptTokens, int genTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(weightBytesPerToken);
        ArgumentOutOfRangeException.ThrowIfNegative(kvBytesPerPosition);
        ArgumentOutOfRangeException.ThrowIfLessThan(promptTokens, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(genTokens, 1);
        return new DecodeWorkingSet(weightBytesPerToken, kvBytesPerPosition * (promptTokens + ((genTokens + 1) / 2.0)));
    }
}
