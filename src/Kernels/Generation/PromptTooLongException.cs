namespace EdgeLlm.Kernels.Generation;

/// <summary>The prompt does not fit the context with room for at least one generated token.</summary>
public sealed class PromptTooLongException(int promptTokens, int contextLength)
    : ArgumentException($"the prompt is {promptTokens} tokens; the context holds {contextLength}, including the completion")
{
    public int PromptTokens { get; } = promptTokens;

    public int ContextLength { get; } = contextLength;
}
