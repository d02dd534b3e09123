using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using EdgeLlm.Kernels.Grammar;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>
/// The configured actions (section <c>EdgeLlm:Actions</c> of the JSON configuration, read as JSON so that argument
/// schemas keep their types), the prompt that presents them to the model with the few-shot examples, and the grammar
/// of a call: <c>{"action": &lt;one of the names&gt;, "arguments": &lt;that action's schema&gt;}</c>, so no action
/// outside the registry and no arguments outside its schema can be generated.
/// </summary>
public sealed partial class ActionRegistry
{
    private static readonly ActionJsonContext Compact = new(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    private ActionRegistry(IReadOnlyList<ActionDefinition> actions, CompiledGrammar grammar)
    {
        Actions = actions;
        Grammar = grammar;
    }

    public IReadOnlyList<ActionDefinition> Actions { get; }

    /// <summary>The grammar of a call to any one action.</summary>
    public CompiledGrammar Grammar { get; }

    public ActionDefinition? Find(string name) => Actions.FirstOrDefault(a => a.Name == name);

    /// <summary>Examples in the registry (the most <see cref="Prompt"/> can include).</summary>
    public int ExampleCount => Actions.Sum(a => a.Examples.Count);

    [GeneratedRegex(@"\{\{\s*arguments\.([^}\s]+)\s*\}\}")]
    private static partial Regex Placeholder();

    /// <summary>
    /// Reads and checks an array of actions. Every problem (a missing field, a schema outside the subset, a template
    /// naming an argument the schema does not declare, a duplicate name, a topic with wildcards) adds one line naming
    /// the action to <paramref name="errors"/>; null when there are errors or no actions.
    /// </summary>
    public static ActionRegistry? Parse(JsonElement actions, List<string> errors, string where = "EdgeLlm:Actions")
    {
        if (actions.ValueKind != JsonValueKind.Array)
        {
            errors.Add($"{where}: must be an array of actions");
            return null;
        }

        var list = new List<ActionDefinition>();
        var alternatives = new List<string>();
        int before = errors.Count, index = 0;
        foreach (var a in actions.EnumerateArray())
        {
            string at = $"{where}[{index++}]";
            if (a.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"{at}: an action must be an object");
                continue;
            }

            string? name = Str(a, "name");
            if (name is null || name.Length is 0 or > 64 || name.Any(c => char.IsControl(c)))
            {
                errors.Add($"{at}: \"name\" must be a string of 1-64 characters");
                continue;
            }

            at = $"{where}: action '{name}'";
            foreach (var p in a.EnumerateObject())
            {
                if (p.Name is not ("name" or "description" or "arguments" or "topic" or "payload" or "examples" or "retain"))
                {
                    errors.Add($"{at}: unknown field '{p.Name}'");
                }
            }

            if (list.Any(x => x.Name == name))
            {
                errors.Add($"{at}: the name is used twice");
                continue;
            }

            string? topic = Str(a, "topic");
            if (!Topics.IsValidPublishTopic(topic))
            {
                errors.Add($"{at}: \"topic\" must be a topic without wildcards");
                continue;
            }

            var schema = a.TryGetProperty("arguments", out var s) ? s.Clone() : JsonDocument.Parse("{\"type\":\"object\",\"properties\":{}}").RootElement.Clone();
            CompiledGrammar argumentsGrammar;
            try
            {
                argumentsGrammar = CompiledGrammar.FromJsonSchema(schema);
            }
            catch (GrammarException e)
            {
                errors.Add($"{at}: arguments: {e.Message}");
                continue;
            }

            if (!a.TryGetProperty("payload", out var payload))
            {
                errors.Add($"{at}: \"payload\" (the template of what is published) is missing");
                continue;
            }

            var declared = Declared(schema).ToHashSet(StringComparer.Ordinal);
            foreach (string reference in References(payload))
            {
                if (!declared.Contains(reference))
                {
                    errors.Add($"{at}: the payload template uses {{{{arguments.{reference}}}}}, but the arguments schema declares no property '{reference}'");
                }
            }

            var examples = new List<ActionExample>();
            if (a.TryGetProperty("examples", out var ex))
            {
                if (ex.ValueKind != JsonValueKind.Array)
                {
                    errors.Add($"{at}: \"examples\" must be an array of {{\"text\", \"arguments\"}}");
                }
                else
                {
                    foreach (var e in ex.EnumerateArray())
                    {
                        string? text = e.ValueKind == JsonValueKind.Object ? Str(e, "text") : null;
                        if (text is null || !e.TryGetProperty("arguments", out var args))
                        {
                            errors.Add($"{at}: every example needs \"text\" and \"arguments\"");
                            continue;
                        }

                        if (!argumentsGrammar.Matches(Serialize(args, schema)))
                        {
                            errors.Add($"{at}: the arguments of example \"{text}\" do not satisfy the action's schema");
                            continue;
                        }

                        examples.Add(new ActionExample(text, args.Clone()));
                    }
                }
            }

            list.Add(new ActionDefinition
            {
                Name = name,
                Description = Str(a, "description") ?? "",
                Arguments = schema,
                Topic = topic!,
                Payload = payload.Clone(),
                Retain = a.TryGetProperty("retain", out var r) && r.ValueKind == JsonValueKind.True,
                Examples = examples,
                ArgumentsGrammar = argumentsGrammar,
            });
            alternatives.Add($"{{\"type\":\"object\",\"properties\":{{\"action\":{{\"const\":{JsonSerializer.Serialize(name, Compact.String)}}},\"arguments\":{schema.GetRawText()}}},\"required\":[\"action\",\"arguments\"],\"additionalProperties\":false}}");
        }

        if (errors.Count > before || list.Count == 0)
        {
            return null;
        }

        var grammar = CompiledGrammar.FromJsonSchema(alternatives.Count == 1 ? alternatives[0] : "{\"anyOf\":[" + string.Join(",", alternatives) + "]}");
        return new ActionRegistry(list, grammar);
    }

    /// <summary>Parses a JSON text holding the array of actions (tests, tools).</summary>
    public static ActionRegistry Parse(string actionsJson)
    {
        using var doc = JsonDocument.Parse(actionsJson);
        var errors = new List<string>();
        return Parse(doc.RootElement, errors) ?? throw new ArgumentException(string.Join("; ", errors.DefaultIfEmpty("no actions")));
    }

    /// <summary>
    /// The actions of the JSON configuration files (the last file with an <c>EdgeLlm:Actions</c> array wins, as
    /// configuration layers do); null when none has one.
    /// </summary>
    public static ActionRegistry? FromConfiguration(IConfiguration configuration, List<string> errors)
    {
        if (configuration is not IConfigurationRoot root)
        {
            return null;
        }

        JsonElement? found = null;
        string where = "";
        foreach (var provider in root.Providers.OfType<JsonConfigurationProvider>())
        {
            var file = provider.Source.FileProvider?.GetFileInfo(provider.Source.Path ?? "");
            if (file is null || !file.Exists || file.PhysicalPath is null)
            {
                continue;
            }

            using var doc = JsonDocument.Parse(File.ReadAllText(file.PhysicalPath), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var section = doc.RootElement.ValueKind == JsonValueKind.Object
                ? doc.RootElement.EnumerateObject().FirstOrDefault(p => p.Name.Equals(ServiceOptions.Section, StringComparison.OrdinalIgnoreCase)).Value
                : default;
            if (section.ValueKind == JsonValueKind.Object)
            {
                var actions = section.EnumerateObject().FirstOrDefault(p => p.Name.Equals("Actions", StringComparison.OrdinalIgnoreCase)).Value;
                if (actions.ValueKind != JsonValueKind.Undefined)
                {
                    found = actions.Clone();
                    where = $"{file.PhysicalPath}: {ServiceOptions.Section}:Actions";
                }
            }
        }

        return found is JsonElement a ? Parse(a, errors, where) : null;
    }

    /// <summary>
    /// The prompt for a request: the actions with their descriptions and argument schemas, the few-shot examples as
    /// request/action pairs in the exact layout the grammar produces, then the request; the model continues with the call.
    /// </summary>
    /// <param name="text">The request.</param>
    /// <param name="examples">How many examples to include at most (fewer when the context is short).</param>
    public string Prompt(string text, int examples = int.MaxValue)
    {
        // The argument schemas are not spelled out: the grammar holds the model to them, and they cost the context
        // (the demo model's vocabulary is nearly one token per character); names and descriptions say what to choose.
        var sb = new StringBuilder("You turn a request into one action call. The actions:\n");
        foreach (var a in Actions)
        {
            sb.Append("- ").Append(a.Name).Append('(').Append(string.Join(", ", Declared(a.Arguments))).Append(')');
            if (a.Description.Length > 0)
            {
                sb.Append(": ").Append(a.Description);
            }

            sb.Append('\n');
        }

        sb.Append('\n');
        foreach (var a in Actions)
        {
            foreach (var e in a.Examples)
            {
                if (examples-- <= 0)
                {
                    break;
                }

                sb.Append("Request: ").Append(e.Text).Append('\n');
                sb.Append("Action: {\"action\": ").Append(JsonSerializer.Serialize(a.Name, Compact.String)).Append(", \"arguments\": ").Append(Serialize(e.Arguments, a.Arguments)).Append("}\n\n");
            }
        }

        sb.Append("Request: ").Append(text.ReplaceLineEndings(" ")).Append('\n');
        sb.Append("Action: ");
        return sb.ToString();
    }

    /// <summary>The payload of <paramref name="action"/> for these (validated) arguments.</summary>
    public static string Render(ActionDefinition action, JsonElement arguments)
    {
        if (action.Payload.ValueKind == JsonValueKind.String)
        {
            return Placeholder().Replace(action.Payload.GetString()!, m => Text(Argument(arguments, m.Groups[1].Value)));
        }

        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            WriteTemplate(w, action.Payload, arguments);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteTemplate(Utf8JsonWriter w, JsonElement t, JsonElement args)
    {
        switch (t.ValueKind)
        {
            case JsonValueKind.Object:
                w.WriteStartObject();
                foreach (var p in t.EnumerateObject())
                {
                    if (WholePlaceholder(p.Value) is string name && Argument(args, name) is null)
                    {
                        continue; // an optional argument left out: so is the member
                    }

                    w.WritePropertyName(p.Name);
                    WriteTemplate(w, p.Value, args);
                }

                w.WriteEndObject();
                break;
            case JsonValueKind.Array:
                w.WriteStartArray();
                foreach (var x in t.EnumerateArray())
                {
                    WriteTemplate(w, x, args);
                }

                w.WriteEndArray();
                break;
            case JsonValueKind.String:
                if (WholePlaceholder(t) is string whole)
                {
                    if (Argument(args, whole) is JsonElement v)
                    {
                        v.WriteTo(w);
                    }
                    else
                    {
                        w.WriteNullValue();
                    }
                }
                else
                {
                    w.WriteStringValue(Placeholder().Replace(t.GetString()!, m => Text(Argument(args, m.Groups[1].Value))));
                }

                break;
            default:
                t.WriteTo(w);
                break;
        }
    }

    private static string? WholePlaceholder(JsonElement v)
    {
        if (v.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var m = Placeholder().Match(v.GetString()!);
        return m.Success && m.Index == 0 && m.Length == v.GetString()!.Length ? m.Groups[1].Value : null;
    }

    private static JsonElement? Argument(JsonElement args, string name) =>
        args.ValueKind == JsonValueKind.Object && args.TryGetProperty(name, out var v) ? v : null;

    private static string Text(JsonElement? v) => v switch
    {
        null => "",
        { ValueKind: JsonValueKind.String } s => s.GetString()!,
        { } other => other.GetRawText(),
    };

    private static IEnumerable<string> References(JsonElement t)
    {
        switch (t.ValueKind)
        {
            case JsonValueKind.String:
                foreach (Match m in Placeholder().Matches(t.GetString()!))
                {
                    yield return m.Groups[1].Value;
                }

                break;
            case JsonValueKind.Object:
                foreach (var p in t.EnumerateObject())
                {
                    foreach (var r in References(p.Value))
                    {
                        yield return r;
                    }
                }

                break;
            case JsonValueKind.Array:
                foreach (var x in t.EnumerateArray())
                {
                    foreach (var r in References(x))
                    {
                        yield return r;
                    }
                }

                break;
        }
    }

    private static List<string> Declared(JsonElement schema)
    {
        var names = new List<string>();
        if (schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("properties", out var ps) && ps.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in ps.EnumerateObject())
            {
                names.Add(p.Name);
            }
        }

        return names;
    }

    /// <summary>
    /// JSON in the grammar's layout (", " and ": " separators, members in the schema's order), so the examples show the
    /// model exactly the form it will be held to.
    /// </summary>
    internal static string Serialize(JsonElement v, JsonElement schema)
    {
        switch (v.ValueKind)
        {
            case JsonValueKind.Object:
                var props = schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("properties", out var ps) && ps.ValueKind == JsonValueKind.Object ? ps : default;
                var order = props.ValueKind == JsonValueKind.Object ? props.EnumerateObject().Select(p => p.Name).ToList() : [];
                var members = v.EnumerateObject().OrderBy(p => order.IndexOf(p.Name) is int i && i >= 0 ? i : int.MaxValue).ToList();
                return "{" + string.Join(", ", members.Select(p => JsonSerializer.Serialize(p.Name, Compact.String) + ": "
                    + Serialize(p.Value, props.ValueKind == JsonValueKind.Object && props.TryGetProperty(p.Name, out var sub) ? sub : default))) + "}";
            case JsonValueKind.Array:
                var items = schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("items", out var it) ? it : default;
                return "[" + string.Join(", ", v.EnumerateArray().Select(x => Serialize(x, items))) + "]";
            case JsonValueKind.String:
                return JsonSerializer.Serialize(v.GetString(), Compact.String);
            default:
                return v.GetRawText();
        }
    }

    private static string? Str(JsonElement o, string key) =>
        o.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
