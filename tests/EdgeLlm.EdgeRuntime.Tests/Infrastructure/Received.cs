using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeLlm.EdgeRuntime.Tests.Infrastructure;

/// <summary>A received reply message, parsed.</summary>
public sealed record Received(string Topic, JsonElement Json, byte[]? CorrelationData, bool Retain, DateTime At)
{
    public string Type => Json.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";

    public string? Id => Json.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null;

    public string Text => Json.GetProperty("text").GetString()!;

    public string Str(string name) => Json.GetProperty(name).GetString()!;

    public int Int(string name) => Json.GetProperty(name).GetInt32();
}
