using System.Text.Json;
using System.Text.Unicode;
using EdgeLlm.Kernels.Generation;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>Strict parser of prompt payloads: unknown fields, wrong types and out-of-range values are errors.</summary>
public static class PromptParser
{
    // Deep enough for a JSON Schema in response_format (nested objects and arrays), still bounded.
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    public static ParseResult Parse(ReadOnlySpan<byte> payload, RequestLimits limits, Func<string> newId)
    {
        if (payload.Length > limits.MaxPayloadBytes)
        {
            return Error(ErrorCodes.TooLong, $"payload of {payload.Length} bytes exceeds the limit of {limits.MaxPayloadBytes} bytes");
        }

        if (payload.IsEmpty)
        {
            return Error(ErrorCodes.BadRequest, "empty payload; expected a JSON object");
        }

        if (!Utf8.IsValid(payload))
        {
            return Error(ErrorCodes.BadRequest, "payload is not valid UTF-8");
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(payload.ToArray(), DocumentOptions);
        }
        catch (JsonException e)
        {
            return Error(ErrorCodes.BadRequest, "malformed JSON: " + FirstSentence(e.Message));
        }

        using (doc)
        {
            try
            {
                return ParseObject(doc.RootElement, limits, newId);
            }
            catch (Exception e) when (e is InvalidOperationException or JsonException or FormatException or ArgumentException)
            {
                // e.g. a string with an escaped lone surrogate
                return Error(ErrorCodes.BadRequest, "invalid value: " + FirstSentence(e.Message));
            }
        }
    }

    private static ParseResult ParseObject(JsonElement root, RequestLimits limits, Func<string> newId)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return Error(ErrorCodes.BadRequest, $"expected a JSON object, got {Kind(root)}");
        }

        // First the fields that route an error reply, so that even a bad request is answered where it asked.
        string? id = null;
        string? replyTo = null;
        if (root.TryGetProperty("id", out var idEl) && idEl.ValueKind == JsonValueKind.String)
        {
            var s = idEl.GetString();
            if (s is { Length: > 0 and <= RequestLimits.MaxIdLength } && Topics.IsValidLevel(s))
            {
                id = s;
            }
        }

        if (root.TryGetProperty("reply_to", out var rtEl) && rtEl.ValueKind == JsonValueKind.String)
        {
            var s = rtEl.GetString();
            if (Topics.IsValidPublishTopic(s))
            {
                replyTo = s;
            }
        }

        ParseResult Fail(string code, string message) => new(null, code, message, id, replyTo);

        string? prompt = null;
        int maxTokens = limits.DefaultMaxTokens;
        var sampling = limits.DefaultSampling;
        IReadOnlyList<string> stop = [];
        bool stream = true;
        EdgeLlm.Kernels.Grammar.CompiledGrammar? grammar = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);

        foreach (var p in root.EnumerateObject())
        {
            if (!seen.Add(p.Name))
            {
                return Fail(ErrorCodes.BadRequest, $"field '{Clip(p.Name)}' appears twice");
            }

            var v = p.Value;
            if (v.ValueKind == JsonValueKind.Null && p.Name != "prompt")
            {
                continue;
            }

            switch (p.Name)
            {
                case "id":
                    if (v.ValueKind != JsonValueKind.String)
                    {
                        return Fail(ErrorCodes.BadRequest, $"id must be a string, got {Kind(v)}");
                    }

                    if (id is null)
                    {
                        return Fail(ErrorCodes.BadRequest, $"id must be 1-{RequestLimits.MaxIdLength} characters without '/', '+', '#' or NUL");
                    }

                    break;
                case "prompt":
                    if (v.ValueKind != JsonValueKind.String)
                    {
                        return Fail(ErrorCodes.BadRequest, $"prompt must be a string, got {Kind(v)}");
                    }

                    prompt = v.GetString()!;
                    break;
                case "max_tokens":
                    if (!TryInt(v, out var mt))
                    {
                        return Fail(ErrorCodes.BadRequest, $"max_tokens must be an integer, got {Kind(v)}");
                    }

                    if (mt < 1 || mt > limits.MaxTokensLimit)
                    {
                        return Fail(ErrorCodes.BadRequest, $"max_tokens must be in [1, {limits.MaxTokensLimit}], got {mt}");
                    }

                    maxTokens = (int)mt;
                    break;
                case "temperature":
                    if (v.ValueKind != JsonValueKind.Number)
                    {
                        return Fail(ErrorCodes.BadRequest, $"temperature must be a number, got {Kind(v)}");
                    }

                    sampling = sampling with { Temperature = (float)v.GetDouble() };
                    break;
                case "top_k":
                    if (!TryInt(v, out var tk))
                    {
                        return Fail(ErrorCodes.BadRequest, $"top_k must be an integer, got {Kind(v)}");
                    }

                    if (tk < 0 || tk > int.MaxValue)
                    {
                        return Fail(ErrorCodes.BadRequest, $"top_k must be >= 0, got {tk}");
                    }

                    sampling = sampling with { TopK = (int)tk };
                    break;
                case "top_p":
                    if (v.ValueKind != JsonValueKind.Number)
                    {
                        return Fail(ErrorCodes.BadRequest, $"top_p must be a number, got {Kind(v)}");
                    }

                    sampling = sampling with { TopP = (float)v.GetDouble() };
                    break;
                case "seed":
                    if (v.ValueKind != JsonValueKind.Number || !v.TryGetUInt64(out var seed))
                    {
                        return Fail(ErrorCodes.BadRequest, "seed must be an integer in [0, 2^64)");
                    }

                    sampling = sampling with { Seed = seed };
                    break;
                case "stop":
                    if (v.ValueKind != JsonValueKind.Array)
                    {
                        return Fail(ErrorCodes.BadRequest, $"stop must be an array of strings, got {Kind(v)}");
                    }

                    var list = new List<string>();
                    foreach (var item in v.EnumerateArray())
                    {
                        if (item.ValueKind != JsonValueKind.String)
                        {
                            return Fail(ErrorCodes.BadRequest, $"stop must be an array of strings, found {Kind(item)}");
                        }

                        var s = item.GetString()!;
                        if (s.Length is 0 or > RequestLimits.MaxStopLength)
                        {
                            return Fail(ErrorCodes.BadRequest, $"each stop string must be 1-{RequestLimits.MaxStopLength} characters");
                        }

                        list.Add(s);
                    }

                    if (list.Count > RequestLimits.MaxStopStrings)
                    {
                        return Fail(ErrorCodes.BadRequest, $"at most {RequestLimits.MaxStopStrings} stop strings, got {list.Count}");
                    }

                    stop = list;
                    break;
                case "stream":
                    if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        return Fail(ErrorCodes.BadRequest, $"stream must be true or false, got {Kind(v)}");
                    }

                    stream = v.GetBoolean();
                    break;
                case "reply_to":
                    if (v.ValueKind != JsonValueKind.String)
                    {
                        return Fail(ErrorCodes.BadRequest, $"reply_to must be a string, got {Kind(v)}");
                    }

                    if (replyTo is null)
                    {
                        return Fail(ErrorCodes.BadRequest, "reply_to must be a topic without wildcards, NUL or a leading '$'");
                    }

                    break;
                case "response_format":
                case "grammar":
                    if (grammar is not null)
                    {
                        return Fail(ErrorCodes.BadRequest, "response_format and grammar cannot be used together");
                    }

                    var (g, error) = StructuredOutput.Parse(p.Name, v, limits.Grammars);
                    if (error is not null)
                    {
                        return Fail(ErrorCodes.BadRequest, error);
                    }

                    grammar = g;
                    break;
                default:
                    return Fail(ErrorCodes.BadRequest, $"unknown field '{Clip(p.Name)}'");
            }
        }

        if (prompt is null)
        {
            return Fail(ErrorCodes.BadRequest, "prompt is required");
        }

        if (prompt.Length == 0)
        {
            return Fail(ErrorCodes.BadRequest, "prompt is empty");
        }

        if (prompt.Length > limits.MaxPromptLength)
        {
            return Fail(ErrorCodes.TooLong, $"prompt of {prompt.Length} characters exceeds the limit of {limits.MaxPromptLength}");
        }

        try
        {
            sampling.Validate();
        }
        catch (ArgumentException e)
        {
            return Fail(ErrorCodes.BadRequest, e.Message);
        }

        var request = new PromptRequest
        {
            Id = id ?? newId(),
            Prompt = prompt,
            MaxTokens = maxTokens,
            Sampling = sampling,
            Stop = stop,
            Stream = stream,
            ReplyTo = replyTo,
            Grammar = grammar,
        };
        return new ParseResult(request, null, null, request.Id, replyTo);
    }

    private static ParseResult Error(string code, string message) => new(null, code, message, null, null);

    private static bool TryInt(JsonElement v, out long value)
    {
        value = 0;
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out value);
    }

    private static string Kind(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private static string Clip(string s) => s.Length <= 64 ? s : s[..64] + "…";

    private static string FirstSentence(string message)
    {
        var nl = message.IndexOf('\n');
        return nl < 0 ? message : message[..nl];
    }
}
