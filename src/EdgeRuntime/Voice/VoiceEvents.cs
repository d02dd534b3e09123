using System.Text.Json;
using EdgeLlm.Device.Audio;
using EdgeLlm.Device.Speech;
using EdgeLlm.EdgeRuntime.Service;

namespace EdgeLlm.EdgeRuntime.Voice;

/// <summary>The payloads of <c>edgellm/{id}/voice</c> and <c>hermes/asr/textCaptured</c> (docs/mqtt.md).</summary>
public static class VoiceEvents
{
    public static byte[] Listening(string id) => Replies.Write(w =>
    {
        w.WriteString("type", "listening");
        w.WriteString("id", id);
    });

    /// <summary><c>seconds</c> is the speech heard (trimmed audio); <c>decode_seconds</c> the transcription's time.</summary>
    public static byte[] Transcript(string id, Transcript t, Utterance u) => Replies.Write(w =>
    {
        w.WriteString("type", "transcript");
        w.WriteString("id", id);
        w.WriteString("text", t.Text);
        w.WriteNumber("likelihood", Math.Round(t.Likelihood, 4));
        w.WriteNumber("seconds", Math.Round(u.Seconds, 3));
        w.WriteNumber("decode_seconds", Math.Round(t.Seconds, 3));
    });

    public static byte[] Error(string? id, string message, string? text = null) => Replies.Write(w =>
    {
        w.WriteString("type", "error");
        Nullable(w, "id", id);
        if (text is not null)
        {
            w.WriteString("text", text);
        }

        w.WriteString("message", message);
    });

    public static byte[] Cancelled(IReadOnlyList<string> ids) => Replies.Write(w =>
    {
        w.WriteString("type", "cancelled");
        w.WriteStartArray("ids");
        foreach (var id in ids)
        {
            w.WriteStringValue(id);
        }

        w.WriteEndArray();
    });

    /// <summary>
    /// Rhasspy 2.5's AsrTextCaptured (camelCase, as Hermes has it): <c>seconds</c> is the time transcription took, as
    /// Rhasspy's own ASR services report it; <c>sessionId</c> is the voice request id.
    /// </summary>
    public static byte[] HermesTextCaptured(Transcript t, string siteId, string sessionId) => Replies.Write(w =>
    {
        w.WriteString("text", t.Text);
        w.WriteNumber("likelihood", Math.Round(t.Likelihood, 4));
        w.WriteNumber("seconds", Math.Round(t.Seconds, 3));
        w.WriteString("siteId", siteId);
        w.WriteString("sessionId", sessionId);
    });

    private static void Nullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }
}
