namespace EdgeLlm.Kernels.Generation;

/// <summary>Why a generation ended. Serialized as "stop", "length", "cancelled".</summary>
public enum FinishReason
{
    /// <summary>End of sequence, a stop token or a stop string.</summary>
    Stop,

    /// <summary>The token budget (max tokens or the context) ran out.</summary>
    Length,

    /// <summary>The caller cancelled.</summary>
    Cancelled,
}

/// <summary>Statistics of one finished generation.</summary>
public sealed record GenerationStats(
    FinishReason FinishReason,
    int PromptTokens,
    int CompletionTokens,
    double TimeToFirstTokenMs,
    double TokensPerSecond,
    double PrefillTokensPerSecond,
    TimeSpan Elapsed)
{
    /// <summary>With a grammar: whether the output is a complete sentence of it (false when the budget cut it); else null.</summary>
    public bool? GrammarComplete { get; init; }
}

/// <summary>
/// One step of a streamed generation. Token events carry text that is always whole UTF-8 characters
/// (it may be empty while a multi-byte character or a possible stop string is held back).
/// The last event of every stream has <see cref="Done"/> set, with any text still held back.
/// </summary>
public readonly record struct TokenEvent(int Index, int TokenId, string Text, GenerationStats? Done)
{
    /// <summary>True on the final event, which carries the statistics.</summary>
    public bool IsFinal => Done is not null;
}
