using System.Text.Json;
using System.Text.Unicode;
using EdgeLlm.Kernels.Generation;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>Limits and defaults applied while parsing.</summary>
public sealed record RequestLimits
{
    public int MaxPayloadBytes { get; init; } = 64 * 1024;

    public int MaxPromptLength { get; init; } = 8192;

    public int DefaultMaxTokens { get; init; } = 256;

    public int MaxTokensLimit { get; init; } = 1 << 20;

    public SamplingOptions DefaultSampling { get; init; } = new();

    /// <summary>Where response_format / grammar are compiled (and kept warm for the next request with the same one).</summary>
    public GrammarCache Grammars { get; init; } = new();

    public const int MaxIdLength = 128;

    public const int MaxStopStrings = 16;

    public const int MaxStopLength = 256;
}
