using System.Globalization;
using System.Text.Json;

namespace EdgeLlm.Kernels.Tests.Grammar;

/// <summary>
/// An independent JSON Schema validator for the subset the engine compiles (written from the JSON Schema 2020-12
/// validation spec, sharing no code with the grammar translator): returns the first violation, or null.
/// </summary>
public static class SchemaValidator
{
    public static string? Validate(JsonElement value, JsonElement schema) => Check(value, schema, schema, "");

    private static string? Check(JsonElement v, JsonElement s, JsonElement root, string at)
    {
        if (s.ValueKind == JsonValueKind.True)
        {
            return null;
        }

        if (s.ValueKind == JsonValueKind.False)
        {
            return $"{at}: false schema";
        }

        if (s.TryGetProperty("$ref", out var r))
        {
            var target = root;
            foreach (string part in r.GetString()!.TrimStart('#').Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                target = target.GetProperty(part.Replace("~1", "/").Replace("~0", "~"));
            }

            return Check(v, target, root, at);
        }

        if (s.TryGetProperty("anyOf", out var any))
        {
            var errors = any.EnumerateArray().Select(x => Check(v, x, root, at)).ToList();
            if (errors.All(e => e is not null))
            {
                return $"{at}: no anyOf branch holds ({string.Join("; ", errors)})";
            }
        }

        if (s.TryGetProperty("type", out var t))
        {
            var types = t.ValueKind == JsonValueKind.Array ? t.EnumerateArray().Select(x => x.GetString()!).ToList() : [t.GetString()!];
            if (!types.Any(x => HasType(v, x)))
            {
                return $"{at}: {v.ValueKind} is not {string.Join("/", types)}";
            }
        }

        if (s.TryGetProperty("const", out var c) && !JsonEquals(v, c))
        {
            return $"{at}: {v.GetRawText()} is not the const {c.GetRawText()}";
        }

        if (s.TryGetProperty("enum", out var en) && !en.EnumerateArray().Any(x => JsonEquals(v, x)))
        {
            return $"{at}: {v.GetRawText()} is not in the enum";
        }

        switch (v.ValueKind)
        {
            case JsonValueKind.String:
                {
                    int length = v.GetString()!.EnumerateRunes().Count();
                    if (s.TryGetProperty("minLength", out var min) && length < min.GetInt32())
                    {
                        return $"{at}: length {length} < minLength";
                    }

                    if (s.TryGetProperty("maxLength", out var max) && length > max.GetInt32())
                    {
                        return $"{at}: length {length} > maxLength";
                    }

                    break;
                }

            case JsonValueKind.Number:
                {
                    decimal x = decimal.Parse(v.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture);
                    if (s.TryGetProperty("minimum", out var min) && x < min.GetDecimal())
                    {
                        return $"{at}: {x} < minimum {min}";
                    }

                    if (s.TryGetProperty("maximum", out var max) && x > max.GetDecimal())
                    {
                        return $"{at}: {x} > maximum {max}";
                    }

                    break;
                }

            case JsonValueKind.Array:
                {
                    int n = v.GetArrayLength();
                    if (s.TryGetProperty("minItems", out var min) && n < min.GetInt32())
                    {
                        return $"{at}: {n} items < minItems";
                    }

                    if (s.TryGetProperty("maxItems", out var max) && n > max.GetInt32())
                    {
                        return $"{at}: {n} items > maxItems";
                    }

                    if (s.TryGetProperty("items", out var items))
                    {
                        int i = 0;
                        foreach (var item in v.EnumerateArray())
                        {
                            if (Check(item, items, root, $"{at}/{i++}") is string e)
                            {
                                return e;
                            }
                        }
                    }

                    break;
                }

            case JsonValueKind.Object:
                {
                    var props = s.TryGetProperty("properties", out var p) ? p : default;
                    var names = new HashSet<string>();
                    foreach (var member in v.EnumerateObject())
                    {
                        if (!names.Add(member.Name))
                        {
                            return $"{at}: duplicate key {member.Name}";
                        }

                        if (props.ValueKind == JsonValueKind.Object && props.TryGetProperty(member.Name, out var ps))
                        {
                            if (Check(member.Value, ps, root, $"{at}/{member.Name}") is string e)
                            {
                                return e;
                            }
                        }
                        else if (s.TryGetProperty("additionalProperties", out var ap) && ap.ValueKind == JsonValueKind.False)
                        {
                            return $"{at}: additional property {member.Name}";
                        }
                    }

                    if (s.TryGetProperty("required", out var req))
                    {
                        foreach (var name in req.EnumerateArray())
                        {
                            if (!names.Contains(name.GetString()!))
                            {
                                return $"{at}: missing required {name}";
                            }
                        }
                    }

                    break;
                }
        }

        return null;
    }

    private static bool HasType(JsonElement v, string type) => type switch
    {
        "object" => v.ValueKind == JsonValueKind.Object,
        "array" => v.ValueKind == JsonValueKind.Array,
        "string" => v.ValueKind == JsonValueKind.String,
        "number" => v.ValueKind == JsonValueKind.Number,
        "integer" => v.ValueKind == JsonValueKind.Number && IsWhole(v),
        "boolean" => v.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => v.ValueKind == JsonValueKind.Null,
        _ => throw new ArgumentException(type),
    };

    private static bool IsWhole(JsonElement v)
    {
        decimal d = decimal.Parse(v.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture);
        return d == decimal.Truncate(d);
    }

    /// <summary>Equality of JSON values as the spec defines it (numbers by value, objects regardless of order).</summary>
    public static bool JsonEquals(JsonElement a, JsonElement b)
    {
        if (a.ValueKind == JsonValueKind.Number && b.ValueKind == JsonValueKind.Number)
        {
            return decimal.Parse(a.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture)
                == decimal.Parse(b.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        if (a.ValueKind != b.ValueKind)
        {
            return false;
        }

        return a.ValueKind switch
        {
            JsonValueKind.String => a.GetString() == b.GetString(),
            JsonValueKind.Array => a.GetArrayLength() == b.GetArrayLength() && a.EnumerateArray().Zip(b.EnumerateArray()).All(p => JsonEquals(p.First, p.Second)),
            JsonValueKind.Object => a.EnumerateObject().Count() == b.EnumerateObject().Count()
                && a.EnumerateObject().All(p => b.TryGetProperty(p.Name, out var q) && JsonEquals(p.Value, q)),
            _ => true,
        };
    }
}
