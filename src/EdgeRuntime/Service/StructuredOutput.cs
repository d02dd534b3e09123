using System.Text.Json;
using EdgeLlm.Kernels.Grammar;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>
/// The <c>response_format</c> and <c>grammar</c> fields of a prompt (docs/mqtt.md): OpenAI's
/// <c>{"type":"json_schema","json_schema":{"name"?,"schema":{…},"strict"?}}</c>, <c>{"type":"json_object"}</c> (any
/// JSON object), <c>{"type":"text"}</c> (no constraint), or GBNF text.
/// </summary>
public static class StructuredOutput
{
    /// <summary>The grammar (null for "text"), or an error message for a bad_request.</summary>
    public static (CompiledGrammar? Grammar, string? Error) Parse(string field, JsonElement v, GrammarCache cache)
    {
        try
        {
            if (field == "grammar")
            {
                if (v.ValueKind != JsonValueKind.String || v.GetString() is not { Length: > 0 } text)
                {
                    return (null, "grammar must be a non-empty string of GBNF");
                }

                return (cache.Gbnf(text), null);
            }

            if (v.ValueKind != JsonValueKind.Object || !v.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            {
                return (null, "response_format must be an object with a \"type\": \"json_schema\", \"json_object\" or \"text\"");
            }

            foreach (var p in v.EnumerateObject())
            {
                if (p.Name is not ("type" or "json_schema"))
                {
                    return (null, $"unknown field 'response_format.{p.Name}'");
                }
            }

            switch (type.GetString())
            {
                case "text":
                    return (null, null);
                case "json_object":
                    return (cache.Schema(JsonDocument.Parse("{\"type\":\"object\"}").RootElement.Clone()), null);
                case "json_schema":
                    if (!v.TryGetProperty("json_schema", out var js) || js.ValueKind != JsonValueKind.Object
                        || !js.TryGetProperty("schema", out var schema))
                    {
                        return (null, "response_format of type json_schema needs \"json_schema\": {\"schema\": {…}}");
                    }

                    foreach (var p in js.EnumerateObject())
                    {
                        if (p.Name is not ("name" or "schema" or "strict" or "description"))
                        {
                            return (null, $"unknown field 'response_format.json_schema.{p.Name}'");
                        }
                    }

                    return (cache.Schema(schema), null);
                default:
                    return (null, $"response_format type must be json_schema, json_object or text, got '{type.GetString()}'");
            }
        }
        catch (GrammarException e)
        {
            // already one line: names the keyword and its JSON pointer, or the GBNF line and column
            return (null, (field == "grammar" ? "grammar: " : "response_format: ") + e.Message);
        }
    }
}
