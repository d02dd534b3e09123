using System.Text.Json;

namespace EdgeLlm.EdgeRuntime.Tests.Infrastructure;

public static class Json
{
    /// <summary>A prompt request; greedy unless <paramref name="temperature"/> is given.</summary>
    public static string Prompt(string id, string prompt, int maxTokens = 24, float temperature = 0, bool? stream = null, string? replyTo = null)
    {
        var d = new Dictionary<string, object?>
        {
            ["id"] = id,
            ["prompt"] = prompt,
            ["max_tokens"] = maxTokens,
            ["temperature"] = temperature,
        };
        if (stream is not null)
        {
            d["stream"] = stream;
        }

        if (replyTo is not null)
        {
            d["reply_to"] = replyTo;
        }

        return JsonSerializer.Serialize(d);
    }
}
