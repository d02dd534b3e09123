using System.Globalization;
using System.Text.Json.Nodes;

namespace EdgeLlm.Kernels.Tests.Grammar;

/// <summary>
/// Random JSON Schemas over the whole supported subset. Strings and arrays are bounded unless asked otherwise, so a
/// generation driven by random logits ends within a few hundred tokens.
/// </summary>
public sealed class RandomSchemas(int seed, bool bounded = true)
{
    private static readonly string[] Words = ["on", "off", "kitchen", "a\"b", "back\\slash", "new\nline", "caf\u00e9", "\u4e2d\u6587", "emoji\U0001F600", "", "x"];

    private readonly Random _rng = new(seed);
    private readonly List<string> _defs = [];
    private JsonObject? _defsObject;

    public JsonObject Next()
    {
        _defs.Clear();
        _defsObject = null;
        var root = Schema(3);
        if (_rng.Next(4) == 0)
        {
            root = new JsonObject { ["type"] = "object", ["properties"] = new JsonObject { ["v"] = root }, ["required"] = new JsonArray("v"), ["additionalProperties"] = false };
        }

        if (_defsObject is not null)
        {
            root["$defs"] = _defsObject;
        }

        return root;
    }

    private JsonObject Schema(int depth)
    {
        int pick = _rng.Next(depth > 0 ? 12 : 7);
        switch (pick)
        {
            case 0:
                return String();
            case 1:
                return Integer();
            case 2:
                return Number();
            case 3:
                return new JsonObject { ["type"] = "boolean" };
            case 4:
                return _rng.Next(2) == 0 ? new JsonObject { ["type"] = "null" } : new JsonObject { ["enum"] = new JsonArray("red", 3, null, true, 2.5) };
            case 5:
                return new JsonObject { ["const"] = Words[_rng.Next(Words.Length)] };
            case 6:
                return new JsonObject { ["enum"] = new JsonArray([.. Enumerable.Range(0, 1 + _rng.Next(4)).Select(_ => (JsonNode)Words[_rng.Next(Words.Length)]).Distinct()]) };
            case 7:
            case 8:
                return Object(depth - 1);
            case 9:
                return Array(depth - 1);
            case 10:
                return new JsonObject { ["anyOf"] = new JsonArray([.. Enumerable.Range(0, 2 + _rng.Next(2)).Select(_ => (JsonNode)Schema(depth - 1))]) };
            default:
                return Ref(depth - 1);
        }
    }

    private JsonObject String()
    {
        var s = new JsonObject { ["type"] = "string" };
        int min = _rng.Next(3);
        if (_rng.Next(2) == 0)
        {
            s["minLength"] = min;
        }

        if (bounded || _rng.Next(2) == 0)
        {
            s["maxLength"] = min + _rng.Next(6);
        }

        return s;
    }

    private JsonObject Integer()
    {
        var s = new JsonObject { ["type"] = "integer" };
        long a = Magnitude(), b = a + (_rng.Next(3) == 0 ? 0 : Math.Abs(Magnitude()) + _rng.Next(50));
        switch (_rng.Next(4))
        {
            case 0: s["minimum"] = a; break;
            case 1: s["maximum"] = b; break;
            case 2: s["minimum"] = a; s["maximum"] = b; break;
        }

        return s;
    }

    private long Magnitude() => _rng.Next(4) switch
    {
        0 => _rng.Next(-9, 10),
        1 => _rng.Next(-200, 200),
        2 => _rng.Next(-100000, 100000),
        _ => (long)(_rng.NextDouble() * 2e12) - (long)1e12,
    };

    private JsonObject Number()
    {
        var s = new JsonObject { ["type"] = "number" };
        decimal a = Decimal(), b = a + Math.Abs(Decimal());
        switch (_rng.Next(4))
        {
            case 0: s["minimum"] = a; break;
            case 1: s["maximum"] = b; break;
            case 2: s["minimum"] = a; s["maximum"] = b; break;
        }

        return s;
    }

    private decimal Decimal()
    {
        int scale = _rng.Next(4);
        decimal v = _rng.Next(-20000, 20000);
        for (int i = 0; i < scale; i++)
        {
            v /= 10;
        }

        return decimal.Parse(v.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    private JsonObject Object(int depth)
    {
        var props = new JsonObject();
        var required = new JsonArray();
        int n = _rng.Next(5);
        var used = new HashSet<string>();
        for (int i = 0; i < n; i++)
        {
            string name = _rng.Next(5) == 0 ? Words[_rng.Next(Words.Length)] : $"p{i}";
            if (!used.Add(name))
            {
                continue;
            }

            props[name] = Schema(depth);
            if (_rng.Next(2) == 0)
            {
                required.Add(name);
            }
        }

        var o = new JsonObject { ["type"] = "object", ["properties"] = props, ["required"] = required };
        if (_rng.Next(3) > 0)
        {
            o["additionalProperties"] = false;
        }

        return o;
    }

    private JsonObject Array(int depth)
    {
        var a = new JsonObject { ["type"] = "array", ["items"] = Schema(depth) };
        int min = _rng.Next(3);
        if (min > 0 || _rng.Next(2) == 0)
        {
            a["minItems"] = min;
        }

        if (bounded || _rng.Next(2) == 0)
        {
            a["maxItems"] = min + _rng.Next(3);
        }

        return a;
    }

    private JsonObject Ref(int depth)
    {
        if (_defs.Count == 0 || _rng.Next(3) == 0)
        {
            string name = $"d{_defs.Count}-{_rng.Next(1000)}";
            var body = Schema(Math.Max(depth, 0)); // built before the name is listed: no definition refers to itself
            _defsObject ??= [];
            _defsObject[name] = body;
            _defs.Add(name);
        }

        return new JsonObject { ["$ref"] = $"#/$defs/{_defs[_rng.Next(_defs.Count)]}" };
    }
}
