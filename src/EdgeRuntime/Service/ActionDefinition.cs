using System.Text.Json;
using EdgeLlm.Kernels.Grammar;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>
/// One action of the registry (docs/mqtt.md, "Actions"): what the model may call, with which arguments, and what is
/// published where when it does. <see cref="Payload"/> is a JSON template: a string value that is exactly
/// <c>{{arguments.x}}</c> becomes the argument's JSON value; <c>{{arguments.x}}</c> inside other text is replaced by the
/// argument's text; a template that is a string is rendered as text (strings raw, other values as JSON).
/// </summary>
public sealed record ActionDefinition
{
    public required string Name { get; init; }

    public string Description { get; init; } = "";

    /// <summary>JSON Schema of the arguments (the supported subset of docs/structured-output.md).</summary>
    public required JsonElement Arguments { get; init; }

    public required string Topic { get; init; }

    public required JsonElement Payload { get; init; }

    public bool Retain { get; init; }

    public IReadOnlyList<ActionExample> Examples { get; init; } = [];

    /// <summary>The arguments' own grammar, to validate what was generated.</summary>
    internal CompiledGrammar ArgumentsGrammar { get; init; } = null!;
}

/// <summary>A few-shot example of an action: a request and the arguments it means.</summary>
public sealed record ActionExample(string Text, JsonElement Arguments);
