namespace EdgeLlm.EdgeRuntime.Tests.Infrastructure;

/// <summary>What <see cref="ScriptedEngine"/> does for one prompt.</summary>
public sealed record GenerationScript
{
    /// <summary>The token texts, in order; generation stops early at max_tokens ("length"), else ends "stop".</summary>
    public IReadOnlyList<string> Tokens { get; init; } = ["Once", " upon", " a", " time"];

    public TimeSpan DelayPerToken { get; init; }

    /// <summary>Before this token the engine hangs, deaf to cancellation (a kernel stuck inside one token), until <see cref="ScriptedEngine.ReleaseStall"/>.</summary>
    public int? StallAt { get; init; }

    /// <summary>Before this token the engine throws <see cref="Failure"/>.</summary>
    public int? ThrowAt { get; init; }

    public Exception Failure { get; init; } = new InvalidOperationException("scripted failure");

    /// <summary>Prompt length in tokens (null: one per character, plus BOS).</summary>
    public int? PromptTokens { get; init; }
}
