using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EdgeLlm.Kernels.Grammar;

/// <summary>
/// Translates a JSON Schema (the subset of docs/structured-output.md) into GBNF whose sentences are exactly JSON texts
/// valid against it, in one canonical layout: properties in schema order, at most one space after <c>{ [ : ,</c> and
/// before <c>} ]</c>, numbers without exponent. Anything outside the subset is an error naming the keyword and its
/// JSON pointer, never silently ignored.
/// </summary>
internal sealed class JsonSchemaGbnf
{
    /// <summary>Keywords that only annotate: they constrain nothing and are accepted anywhere.</summary>
    private static readonly HashSet<string> Annotations = new(StringComparer.Ordinal)
    {
        "title", "description", "$schema", "$id", "$comment", "default", "examples", "$defs", "definitions", "name", "strict",
    };

    private static readonly HashSet<string> Supported = new(StringComparer.Ordinal)
    {
        "type", "properties", "required", "additionalProperties", "enum", "const", "minLength", "maxLength",
        "minimum", "maximum", "items", "minItems", "maxItems", "anyOf", "$ref",
    };

    /// <summary>llama.cpp's repetition limit: a larger bound in GBNF means "unbounded".</summary>
    private const int MaxCount = 2000;

    private readonly JsonElement _root;
    private readonly StringBuilder _rules = new();
    private readonly Dictionary<string, string?> _refs = new(StringComparer.Ordinal);
    private readonly HashSet<string> _resolving = new(StringComparer.Ordinal);
    private readonly HashSet<string> _shared = new(StringComparer.Ordinal);
    private int _counter;

    private JsonSchemaGbnf(JsonElement root) => this._root = root;

    public static string Translate(string schemaJson)
    {
        ArgumentNullException.ThrowIfNull(schemaJson);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(schemaJson);
        }
        catch (JsonException e)
        {
            throw new GrammarException($"the JSON Schema is not valid JSON: {e.Message}");
        }

        using (doc)
        {
            return Translate(doc.RootElement);
        }
    }

    public static string Translate(JsonElement schema)
    {
        var t = new JsonSchemaGbnf(schema);
        string body = t.Schema(schema, "") ?? throw GrammarException.Schema("", "the schema accepts no value (false)");
        var sb = new StringBuilder();
        sb.Append("root ::= ").Append(body).Append('\n');
        sb.Append(t._rules);
        return sb.ToString();
    }

    /// <summary>A GBNF expression for the values <paramref name="s"/> accepts; null when it accepts none.</summary>
    private string? Schema(JsonElement s, string ptr)
    {
        if (s.ValueKind == JsonValueKind.True)
        {
            return Shared("jvalue");
        }

        if (s.ValueKind == JsonValueKind.False)
        {
            return null;
        }

        if (s.ValueKind != JsonValueKind.Object)
        {
            throw GrammarException.Schema(ptr, $"a schema must be an object or a boolean, not {Kind(s)}");
        }

        foreach (var p in s.EnumerateObject())
        {
            if (!Supported.Contains(p.Name) && !Annotations.Contains(p.Name))
            {
                throw GrammarException.Unsupported(p.Name, Child(ptr, p.Name));
            }
        }

        if (s.TryGetProperty("$ref", out var r))
        {
            OnlyWith(s, ptr, "$ref");
            return Ref(r, Child(ptr, "$ref"));
        }

        if (s.TryGetProperty("anyOf", out var any))
        {
            OnlyWith(s, ptr, "anyOf");
            string at = Child(ptr, "anyOf");
            if (any.ValueKind != JsonValueKind.Array || any.GetArrayLength() == 0)
            {
                throw GrammarException.Schema(at, "anyOf must be a non-empty array");
            }

            var alts = new List<string>();
            int i = 0;
            foreach (var sub in any.EnumerateArray())
            {
                if (Schema(sub, Child(at, i++.ToString(CultureInfo.InvariantCulture))) is string e)
                {
                    alts.Add(e);
                }
            }

            return alts.Count == 0 ? null : Define("any", string.Join(" | ", alts));
        }

        HashSet<string>? types = Types(s, ptr);
        if (s.TryGetProperty("const", out var c))
        {
            OnlyWith(s, ptr, "const", "type");
            return Values([c], types, Child(ptr, "const"));
        }

        if (s.TryGetProperty("enum", out var en))
        {
            OnlyWith(s, ptr, "enum", "type");
            string at = Child(ptr, "enum");
            if (en.ValueKind != JsonValueKind.Array || en.GetArrayLength() == 0)
            {
                throw GrammarException.Schema(at, "enum must be a non-empty array");
            }

            return Values([.. en.EnumerateArray()], types, at);
        }

        // Without "type" the value may be of any type the keywords allow (a keyword only constrains its own type).
        types ??= Inferred(s);
        var parts = new List<string>();
        foreach (string type in new[] { "object", "array", "string", "integer", "number", "boolean", "null" })
        {
            if (!types.Contains(type) || (type == "integer" && types.Contains("number")))
            {
                continue;
            }

            string? e = type switch
            {
                "object" => Object(s, ptr),
                "array" => Array(s, ptr),
                "string" => String(s, ptr),
                "integer" => Number(s, ptr, integer: true),
                "number" => Number(s, ptr, integer: false),
                "boolean" => "(\"true\" | \"false\")",
                _ => "\"null\"",
            };
            if (e is not null)
            {
                parts.Add(e);
            }
        }

        if (parts.Count == 0)
        {
            throw GrammarException.Schema(ptr, "no value satisfies this schema");
        }

        return parts.Count == 1 ? parts[0] : "(" + string.Join(" | ", parts) + ")";
    }

    private HashSet<string>? Types(JsonElement s, string ptr)
    {
        if (!s.TryGetProperty("type", out var t))
        {
            return null;
        }

        string at = Child(ptr, "type");
        var result = new HashSet<string>(StringComparer.Ordinal);
        IEnumerable<JsonElement> list = t.ValueKind == JsonValueKind.Array ? t.EnumerateArray() : [t];
        foreach (var x in list)
        {
            string? name = x.ValueKind == JsonValueKind.String ? x.GetString() : null;
            if (name is not ("object" or "array" or "string" or "integer" or "number" or "boolean" or "null"))
            {
                throw GrammarException.Schema(at, $"unknown type {x.GetRawText()}");
            }

            result.Add(name);
        }

        if (result.Count == 0)
        {
            throw GrammarException.Schema(at, "an empty list of types accepts nothing");
        }

        return result;
    }

    private static HashSet<string> Inferred(JsonElement s)
    {
        bool Has(params string[] k) => k.Any(x => s.TryGetProperty(x, out _));
        var t = new HashSet<string>(StringComparer.Ordinal);
        if (Has("properties", "required", "additionalProperties"))
        {
            t.Add("object");
        }

        if (Has("items", "minItems", "maxItems"))
        {
            t.Add("array");
        }

        if (Has("minLength", "maxLength"))
        {
            t.Add("string");
        }

        if (Has("minimum", "maximum"))
        {
            t.Add("number");
        }

        return t.Count > 0 ? t : ["object", "array", "string", "number", "boolean", "null"];
    }

    /// <summary>Keywords that would have to be intersected with <paramref name="main"/> are outside the subset.</summary>
    private static void OnlyWith(JsonElement s, string ptr, params string[] allowed)
    {
        foreach (var p in s.EnumerateObject())
        {
            if (!Annotations.Contains(p.Name) && System.Array.IndexOf(allowed, p.Name) < 0)
            {
                throw new GrammarException($"unsupported JSON Schema keyword '{p.Name}' at {Child(ptr, p.Name)}: it cannot be combined with '{allowed[0]}' in the supported subset");
            }
        }
    }

    private string? Ref(JsonElement r, string ptr)
    {
        string target = r.ValueKind == JsonValueKind.String ? r.GetString()! : throw GrammarException.Schema(ptr, "$ref must be a string");
        if (!target.StartsWith('#'))
        {
            throw GrammarException.Schema(ptr, $"only references inside the schema (#/...) are supported, not '{target}'");
        }

        if (_refs.TryGetValue(target, out string? known))
        {
            return known;
        }

        if (!_resolving.Add(target))
        {
            throw GrammarException.Schema(ptr, $"recursive $ref '{target}' is not supported");
        }

        JsonElement node = _root;
        string pointer = target[1..];
        if (pointer.Length > 0)
        {
            foreach (string raw in pointer.Split('/').Skip(1))
            {
                string key = Uri.UnescapeDataString(raw).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
                if (node.ValueKind == JsonValueKind.Object && node.TryGetProperty(key, out var child))
                {
                    node = child;
                }
                else if (node.ValueKind == JsonValueKind.Array && int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out int i) && i < node.GetArrayLength())
                {
                    node = node[i];
                }
                else
                {
                    throw GrammarException.Schema(ptr, $"$ref '{target}' points at nothing");
                }
            }
        }

        string? body = Schema(node, pointer);
        string? name = body is null ? null : Define("ref", body);
        _resolving.Remove(target);
        _refs[target] = name;
        return name;
    }

    private string? Object(JsonElement s, string ptr)
    {
        bool closed = false;
        if (s.TryGetProperty("additionalProperties", out var ap))
        {
            if (ap.ValueKind is JsonValueKind.False)
            {
                closed = true;
            }
            else if (ap.ValueKind is not JsonValueKind.True)
            {
                // outputs never carry undeclared properties, so true and false both hold; a schema here is a constraint we do not model
                throw GrammarException.Unsupported("additionalProperties", Child(ptr, "additionalProperties"));
            }
        }

        var props = new List<(string Name, JsonElement Schema, string Ptr)>();
        if (s.TryGetProperty("properties", out var ps))
        {
            if (ps.ValueKind != JsonValueKind.Object)
            {
                throw GrammarException.Schema(Child(ptr, "properties"), "properties must be an object");
            }

            foreach (var p in ps.EnumerateObject())
            {
                props.Add((p.Name, p.Value, Child(Child(ptr, "properties"), p.Name)));
            }
        }

        var required = new HashSet<string>(StringComparer.Ordinal);
        if (s.TryGetProperty("required", out var req))
        {
            string at = Child(ptr, "required");
            if (req.ValueKind != JsonValueKind.Array)
            {
                throw GrammarException.Schema(at, "required must be an array of names");
            }

            foreach (var n in req.EnumerateArray())
            {
                string name = n.ValueKind == JsonValueKind.String ? n.GetString()! : throw GrammarException.Schema(at, "required must be an array of names");
                required.Add(name);
                if (!props.Any(p => p.Name == name))
                {
                    if (closed)
                    {
                        throw GrammarException.Schema(at, $"'{name}' is required but not among the properties, and additionalProperties is false");
                    }

                    props.Add((name, default, at)); // any value
                }
            }
        }

        if (props.Count == 0 && !closed)
        {
            // {"type": "object"} alone: any members (there is nothing to hold them to); declared members are all we
            // write otherwise, which is valid whether additional ones are allowed or not
            Shared("jvalue");
            return "jobject";
        }

        // Each property: "key" : value; the chain S_i (nothing written yet) / R_i (a comma first).
        var kv = new List<string?>();
        foreach (var (name, schema, at) in props)
        {
            string? value = schema.ValueKind == JsonValueKind.Undefined ? Shared("jvalue") : Schema(schema, at);
            if (value is null && required.Contains(name))
            {
                throw GrammarException.Schema(at, $"required property '{name}' accepts no value");
            }

            kv.Add(value is null ? null : $"{GbnfLiteral(JsonText(name))} ws \":\" ws {value}");
        }

        Shared("ws");
        string s0 = "", r0 = "";
        string id = Next("obj");
        for (int i = props.Count - 1; i >= 0; i--)
        {
            string sNext = s0, rNext = r0;
            if (kv[i] is null)
            {
                continue; // optional property that accepts nothing: never written
            }

            bool req1 = required.Contains(props[i].Name);
            string sName = $"{id}-s{i}", rName = $"{id}-r{i}";
            string sBody = $"{kv[i]} {rNext}".TrimEnd();
            string rBody = $"\",\" ws {kv[i]} {rNext}".TrimEnd();
            if (!req1)
            {
                // an empty alternative is written "" (a bare trailing '|' would continue the rule on the next line)
                sBody += sNext.Length == 0 ? " | \"\"" : $" | {sNext}";
                rBody += rNext.Length == 0 ? " | \"\"" : $" | {rNext}";
            }

            _rules.Append(sName).Append(" ::= ").Append(sBody.TrimEnd()).Append('\n');
            _rules.Append(rName).Append(" ::= ").Append(rBody.TrimEnd()).Append('\n');
            s0 = sName;
            r0 = rName;
        }

        return Define("object", $"\"{{\" ws {s0} ws \"}}\"".Replace("ws  ws", "ws ws", StringComparison.Ordinal));
    }

    private string? Array(JsonElement s, string ptr)
    {
        int min = Count(s, ptr, "minItems") ?? 0;
        int? max = Count(s, ptr, "maxItems");
        if (max < min)
        {
            throw GrammarException.Schema(Child(ptr, "maxItems"), $"maxItems {max} is below minItems {min}");
        }

        string? item = s.TryGetProperty("items", out var it) ? (it.ValueKind == JsonValueKind.Array
            ? throw GrammarException.Unsupported("items", Child(ptr, "items")) // the tuple form
            : Schema(it, Child(ptr, "items"))) : Shared("jvalue");
        Shared("ws");
        if (item is null || max == 0)
        {
            if (min > 0)
            {
                throw GrammarException.Schema(Child(ptr, "minItems"), $"minItems {min} but no item is possible");
            }

            return "(\"[\" ws ws \"]\")";
        }

        string itemRule = Define("item", item);
        string more = max is int m ? $"(\",\" ws {itemRule}){{{Math.Max(min - 1, 0)},{m - 1}}}" : $"(\",\" ws {itemRule}){{{Math.Max(min - 1, 0)},}}";
        string body = min == 0 ? $"({itemRule} {more})?" : $"{itemRule} {more}";
        return Define("array", $"\"[\" ws {body} ws \"]\"");
    }

    private string String(JsonElement s, string ptr)
    {
        int min = Count(s, ptr, "minLength") ?? 0;
        int? max = Count(s, ptr, "maxLength");
        if (max < min)
        {
            throw GrammarException.Schema(Child(ptr, "maxLength"), $"maxLength {max} is below minLength {min}");
        }

        string ch = Shared("jchar");
        string reps = max is int m ? $"{{{min},{m}}}" : min == 0 ? "*" : $"{{{min},}}";
        return Define("string", $"\"\\\"\" {ch}{reps} \"\\\"\"");
    }

    private string? Number(JsonElement s, string ptr, bool integer)
    {
        decimal? lo = Bound(s, ptr, "minimum"), hi = Bound(s, ptr, "maximum");
        if (lo > hi)
        {
            throw GrammarException.Schema(Child(ptr, "maximum"), $"maximum {hi} is below minimum {lo}");
        }

        string? body = integer ? NumberRangeGbnf.Integer(lo, hi) : NumberRangeGbnf.Decimal(lo, hi);
        if (body is null)
        {
            throw GrammarException.Schema(ptr, $"no integer lies between minimum {lo} and maximum {hi}");
        }

        return Define(integer ? "int" : "num", body);
    }

    private string Values(List<JsonElement> values, HashSet<string>? types, string ptr)
    {
        var alts = new List<string>();
        foreach (var v in values)
        {
            if (types is null || types.Contains(TypeOf(v)) || (TypeOf(v) == "integer" && types.Contains("number")))
            {
                alts.Add(GbnfLiteral(Canonical(v)));
            }
        }

        if (alts.Count == 0)
        {
            throw GrammarException.Schema(ptr, "no listed value has the schema's type");
        }

        return Define("value", string.Join(" | ", alts.Distinct(StringComparer.Ordinal)));
    }

    private static decimal? Bound(JsonElement s, string ptr, string key)
    {
        if (!s.TryGetProperty(key, out var v))
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Number || !decimal.TryParse(v.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture, out decimal d))
        {
            throw GrammarException.Schema(Child(ptr, key), $"{key} must be a number within ±7.9e28, got {v.GetRawText()}");
        }

        return d;
    }

    private static int? Count(JsonElement s, string ptr, string key)
    {
        if (!s.TryGetProperty(key, out var v))
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int n) || n < 0)
        {
            throw GrammarException.Schema(Child(ptr, key), $"{key} must be a non-negative integer, got {v.GetRawText()}");
        }

        if (n > MaxCount)
        {
            throw GrammarException.Schema(Child(ptr, key), $"{key} above {MaxCount} is not supported, got {n}");
        }

        return n;
    }

    /// <summary>A helper rule shared by every use (emitted once).</summary>
    private string Shared(string name)
    {
        if (_shared.Add(name))
        {
            switch (name)
            {
                case "ws":
                    _rules.Append("ws ::= \" \"?\n");
                    break;
                case "jchar":
                    // one code point per char: \u escapes of surrogates are excluded, so minLength/maxLength count right
                    _rules.Append("jchar ::= [^\"\\\\\\x00-\\x1F] | \"\\\\\" ([\"\\\\/bfnrt] | \"u\" ([0-9a-cA-Ce-fE-F] [0-9a-fA-F]{3} | [dD] [0-7] [0-9a-fA-F]{2}))\n");
                    break;
                case "jvalue":
                    Shared("ws");
                    Shared("jchar");
                    _rules.Append("jvalue ::= jobject | jarray | jstring | jnumber | \"true\" | \"false\" | \"null\"\n");
                    _rules.Append("jobject ::= \"{\" ws (jstring ws \":\" ws jvalue (\",\" ws jstring ws \":\" ws jvalue)*)? ws \"}\"\n");
                    _rules.Append("jarray ::= \"[\" ws (jvalue (\",\" ws jvalue)*)? ws \"]\"\n");
                    _rules.Append("jstring ::= \"\\\"\" jchar* \"\\\"\"\n");
                    _rules.Append($"jnumber ::= {NumberRangeGbnf.Decimal(null, null)}\n");
                    break;
            }
        }

        return name;
    }

    private string Define(string kind, string body)
    {
        string name = Next(kind);
        _rules.Append(name).Append(" ::= ").Append(body).Append('\n');
        return name;
    }

    private string Next(string kind) => $"{kind}-{++_counter}";

    private static string TypeOf(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => IsIntegral(v) ? "integer" : "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };

    private static bool IsIntegral(JsonElement v) =>
        decimal.TryParse(v.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture, out decimal d) ? d == Math.Truncate(d) : v.TryGetInt64(out _);

    private static string Kind(JsonElement v) => v.ValueKind.ToString().ToLowerInvariant();

    /// <summary>A JSON text for a value, compact, non-ASCII kept as is.</summary>
    private static string Canonical(JsonElement v)
    {
        switch (v.ValueKind)
        {
            case JsonValueKind.String:
                return JsonText(v.GetString()!);
            case JsonValueKind.Object:
                return "{" + string.Join(",", v.EnumerateObject().Select(p => JsonText(p.Name) + ":" + Canonical(p.Value))) + "}";
            case JsonValueKind.Array:
                return "[" + string.Join(",", v.EnumerateArray().Select(Canonical)) + "]";
            default:
                return v.GetRawText();
        }
    }

    /// <summary>A JSON string literal: quotes, backslashes and control characters escaped, everything else as is.</summary>
    internal static string JsonText(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20)
                    {
                        sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        return sb.Append('"').ToString();
    }

    /// <summary>A GBNF string literal matching exactly <paramref name="text"/>.</summary>
    internal static string GbnfLiteral(string text)
    {
        var sb = new StringBuilder(text.Length + 2).Append('"');
        foreach (char c in text)
        {
            if (c == '"' || c == '\\')
            {
                sb.Append('\\').Append(c);
            }
            else if (c < 0x20 || c == 0x7F)
            {
                sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:X2}");
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.Append('"').ToString();
    }

    private static string Child(string ptr, string key) => ptr + "/" + key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
}
