using System.Text.Json;
using System.Text.Unicode;
using EdgeLlm.Kernels.Generation;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>The result of parsing: a request, or an error with whatever id and reply_to could be read.</summary>
public readonly record struct ParseResult(PromptRequest? Request, string? ErrorCode, string? ErrorMessage, string? Id, string? ReplyTo)
{
    public bool IsError => Request is null;
}
