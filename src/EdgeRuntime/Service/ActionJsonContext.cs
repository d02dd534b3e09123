using System.Text.Json.Serialization;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>
/// Source-generated JSON for the strings <see cref="ActionRegistry"/> quotes into schemas and prompts: reflection-based
/// serialization is not available in the Native AOT build (hardware/README.md, "Publish").
/// </summary>
[JsonSerializable(typeof(string))]
internal sealed partial class ActionJsonContext : JsonSerializerContext;
