using System.Text.Json;
using System.Text.Unicode;
using EdgeLlm.Kernels.Generation;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>A validated prompt request (docs/mqtt.md).</summary>
public sealed record PromptRequest
{
    public required string Id { get; init; }

    public required string Prompt { get; init; }

    public required int MaxTokens { get; init; }

    public required SamplingOptions Sampling { get; init; }

    public IReadOnlyList<string> Stop { get; init; } = [];

    public bool Stream { get; init; } = true;

    public string? ReplyTo { get; init; }

    /// <summary>The output's grammar, from <c>response_format</c> (a JSON Schema) or <c>grammar</c> (GBNF); null = free text.</summary>
    public EdgeLlm.Kernels.Grammar.CompiledGrammar? Grammar { get; init; }
}
