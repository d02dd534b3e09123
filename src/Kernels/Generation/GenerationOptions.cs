namespace EdgeLlm.Kernels.Generation;

/// <summary>How the next token is chosen. Temperature 0 is greedy.</summary>
public sealed record SamplingOptions
{
    public float Temperature { get; init; } = 0.8f;

    /// <summary>Keep only the K most likely tokens; 0 disables.</summary>
    public int TopK { get; init; } = 40;

    /// <summary>Nucleus sampling: keep the smallest set whose probability reaches P; 1 disables.</summary>
    public float TopP { get; init; } = 0.95f;

    /// <summary>Penalty for tokens seen in the last <see cref="RepetitionWindow"/> tokens; 1 disables.</summary>
    public float RepetitionPenalty { get; init; } = 1.0f;

    public int RepetitionWindow { get; init; } = 64;

    /// <summary>Seed for the random generator; null picks one from the clock.</summary>
    public ulong? Seed { get; init; }

    public static SamplingOptions Greedy { get; } = new() { Temperature = 0f };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first value out of range.</summary>
    public void Validate()
    {
        if (!(Temperature >= 0f) || float.IsInfinity(Temperature))
        {
            throw new ArgumentException($"temperature must be a finite number >= 0, got {Temperature}");
        }

        if (TopK < 0)
        {
            throw new ArgumentException($"top_k must be >= 0, got {TopK}");
        }

        if (!(TopP > 0f && TopP <= 1f))
        {
            throw new ArgumentException($"top_p must be in (0, 1], got {TopP}");
        }

        if (!(RepetitionPenalty > 0f) || float.IsInfinity(RepetitionPenalty))
        {
            throw new ArgumentException($"repetition penalty must be a finite number > 0, got {RepetitionPenalty}");
        }

        if (RepetitionWindow < 0)
        {
            throw new ArgumentException($"repetition window must be >= 0, got {RepetitionWindow}");
        }
    }
}

/// <summary>What one generation should do.</summary>
public sealed record GenerationOptions
{
    public int MaxTokens { get; init; } = 256;

    public SamplingOptions Sampling { get; init; } = new();

    /// <summary>Generation stops before any of these strings; the stop string itself is not emitted.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>Prepend BOS to the prompt (Llama models expect it).</summary>
    public bool AddBos { get; init; } = true;

    /// <summary>
    /// Constrains the completion to a grammar (from GBNF or a JSON Schema): each step samples only among the tokens
    /// the grammar allows, EOS only where it can end, and generation stops ("stop") when it is complete. Reusing one
    /// instance across generations reuses its token-mask cache. See docs/structured-output.md.
    /// </summary>
    public EdgeLlm.Kernels.Grammar.CompiledGrammar? Grammar { get; init; }
}
