namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>The topic names of docs/mqtt.md, for one device.</summary>
public sealed class Topics(string deviceId, string? fleetGroup = null, string homeAssistantPrefix = "homeassistant")
{
    public const string FleetPrompt = "edgellm/fleet/prompt";

    public string DeviceId { get; } = deviceId;

    public string Root { get; } = $"edgellm/{deviceId}";

    public string Prompt => Root + "/prompt";

    public string Cancel => Root + "/cancel";

    public string Status => Root + "/status";

    /// <summary>Periodic power telemetry.</summary>
    public string Power => Root + "/power";

    /// <summary>Voice flow events: listening, transcript, error, cancelled.</summary>
    public string Voice => Root + "/voice";

    /// <summary>Rhasspy Hermes: a transcript for intent handlers (optional).</summary>
    public const string HermesTextCaptured = "hermes/asr/textCaptured";

    /// <summary>Action requests in words (docs/mqtt.md, "Actions"); subscribed when actions are configured.</summary>
    public string Intent => Root + "/intent";

    public string? FleetSubscription { get; } = fleetGroup is null ? null : $"$share/{fleetGroup}/{FleetPrompt}";

    public string HomeAssistantStatus { get; } = homeAssistantPrefix + "/status";

    public string HomeAssistantPrefix { get; } = homeAssistantPrefix;

    /// <summary>The default reply topic of a request: edgellm/{id}/reply/{request id}.</summary>
    public string DefaultReply(string requestId) => $"{Root}/reply/{requestId}";

    /// <summary>The reply topic of the <paramref name="n"/>th voice prompt: edgellm/{id}/reply/voice-{n} (its request id is voice-{n}).</summary>
    public string VoiceReply(long n) => DefaultReply(VoiceRequestId(n));

    /// <summary>The request id of the <paramref name="n"/>th voice prompt: voice-{n}.</summary>
    public static string VoiceRequestId(long n) => "voice-" + n.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>True for a non-empty single topic level: no '/', '+', '#' or NUL.</summary>
    public static bool IsValidLevel(string? s) =>
        !string.IsNullOrEmpty(s) && s.IndexOfAny(['/', '+', '#', '\0']) < 0;

    /// <summary>True for a topic a client may publish to: no wildcards, no NUL, not "$…", at most 65535 UTF-8 bytes.</summary>
    public static bool IsValidPublishTopic(string? s) =>
        !string.IsNullOrEmpty(s) && s.IndexOfAny(['+', '#', '\0']) < 0 && s[0] != '$'
        && System.Text.Encoding.UTF8.GetByteCount(s) <= 65535;
}
