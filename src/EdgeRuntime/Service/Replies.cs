using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using EdgeLlm.Kernels.Generation;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>The JSON payloads of docs/mqtt.md (snake_case).</summary>
public static class Replies
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Token(string id, int seq, string text) => Write(w =>
    {
        w.WriteString("id", id);
        w.WriteString("type", "token");
        w.WriteNumber("seq", seq);
        w.WriteString("text", text);
    });

    public static byte[] Done(string id, string text, GenerationStats stats, EnergyReport energy) => Write(w =>
    {
        w.WriteString("id", id);
        w.WriteString("type", "done");
        w.WriteString("text", text);
        w.WriteString("finish_reason", FinishReasonText(stats.FinishReason));
        if (stats.GrammarComplete is bool complete)
        {
            // with response_format / grammar: false when max_tokens (or a stop string) cut the structure
            w.WriteBoolean("complete", complete);
        }

        w.WriteNumber("prompt_tokens", stats.PromptTokens);
        w.WriteNumber("completion_tokens", stats.CompletionTokens);
        w.WriteNumber("time_to_first_token_ms", Round(stats.TimeToFirstTokenMs));
        w.WriteNumber("tokens_per_second", Round(stats.TokensPerSecond));
        WriteNullable(w, "energy_joules", energy.EnergyJoules);
        WriteNullable(w, "joules_per_token", energy.JoulesPerToken);
        WriteNullable(w, "average_watts", energy.AverageWatts);
        WriteNullable(w, "idle_watts", energy.IdleWatts);
        WriteNullable(w, "energy_above_idle_joules", energy.EnergyAboveIdleJoules);
        if (energy.PowerSource is null)
        {
            w.WriteNull("power_source");
        }
        else
        {
            w.WriteString("power_source", energy.PowerSource);
        }
    });

    public static byte[] Error(string? id, string code, string message) => Write(w =>
    {
        if (id is null)
        {
            w.WriteNull("id");
        }
        else
        {
            w.WriteString("id", id);
        }

        w.WriteString("type", "error");
        w.WriteString("code", code);
        w.WriteString("message", message);
    });

    public static string FinishReasonText(FinishReason reason) => reason switch
    {
        FinishReason.Stop => "stop",
        FinishReason.Length => "length",
        FinishReason.Cancelled => "cancelled",
        _ => reason.ToString().ToLowerInvariant(),
    };

    public static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static double Round(double x) => double.IsFinite(x) ? Math.Round(x, 3) : 0;

    private static void WriteNullable(Utf8JsonWriter w, string name, double? value)
    {
        if (value is double v && double.IsFinite(v))
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
