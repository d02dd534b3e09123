using System.Text.Json;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>
/// What an intent turned into: the action called, its validated arguments, the topic and payload, and whether it was
/// published; or an error (<see cref="ErrorCode"/>, <see cref="Message"/>), in which case nothing was published.
/// </summary>
public sealed record IntentResult
{
    public required string Id { get; init; }

    public string? Name { get; init; }

    public JsonElement Arguments { get; init; }

    public string? Topic { get; init; }

    public string? Payload { get; init; }

    public bool Published { get; init; }

    public string? ErrorCode { get; init; }

    public string? Message { get; init; }

    public bool IsError => ErrorCode is not null;

    public static IntentResult Error(string id, string code, string message) => new() { Id = id, ErrorCode = code, Message = message };
}
