namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>
/// How a prompt ended, as its final reply said: <see cref="Done"/> with the completion in <see cref="Text"/>
/// (and <see cref="FinishReason"/>), or an error with <see cref="ErrorCode"/> and the message in <see cref="Text"/>.
/// </summary>
public sealed record PromptOutcome(string Id, bool Done, string Text, string? FinishReason, string? ErrorCode)
{
    public static PromptOutcome Error(string id, string code, string message) => new(id, false, message, null, code);
}
