namespace EdgeLlm.EdgeRuntime.Hub;

/// <summary>A failure of <c>edgellm pull</c> with a one-line, user-facing message.</summary>
/// <remarks>An <see cref="IOException"/> so the CLI's common error handler prints it as the one-line reason.</remarks>
public sealed class HubException(HubErrorKind kind, string message, Exception? inner = null) : IOException(message, inner)
{
    public HubErrorKind Kind { get; } = kind;
}
