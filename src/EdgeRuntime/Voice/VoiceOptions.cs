namespace EdgeLlm.EdgeRuntime.Voice;

/// <summary>
/// Section "EdgeLlm:Voice": the push-to-talk voice flow (docs/voice.md, "The voice flow"). Bound value by value by
/// <see cref="Service.ServiceOptions.Read"/>.
/// </summary>
public sealed record VoiceOptions
{
    /// <summary>Run the voice flow (needs the button: Gpio:Enabled).</summary>
    public bool Enabled { get; init; } = Service.ServiceDefaults.VoiceEnabled;

    /// <summary>"" = do not speak replies; "default" = espeak-ng's default output; else the ALSA device it plays to.</summary>
    public string Speaker { get; init; } = Service.ServiceDefaults.VoiceSpeaker;

    /// <summary>Also publish transcripts as Rhasspy Hermes <c>hermes/asr/textCaptured</c>.</summary>
    public bool Hermes { get; init; } = Service.ServiceDefaults.VoiceHermes;

    /// <summary>The Hermes siteId; "" = the device id.</summary>
    public string SiteId { get; init; } = Service.ServiceDefaults.VoiceSiteId;

    /// <summary>The espeak-ng program that speaks replies (a path, or a name looked up on PATH).</summary>
    public string Espeak { get; init; } = Service.ServiceDefaults.VoiceEspeak;

    /// <summary>One line per bad value; empty when the options can be used.</summary>
    public IEnumerable<string> Validate()
    {
        const string p = "EdgeLlm:Voice:";
        if (Speaker is null || Speaker.Trim() != Speaker || Speaker.Any(char.IsControl))
        {
            yield return $"{p}Speaker: '{Speaker}' has surrounding spaces or control characters (\"\" = silent, \"default\", or an ALSA device such as plughw:1,0)";
        }

        if (SiteId is null || SiteId.Any(char.IsControl))
        {
            yield return $"{p}SiteId: '{SiteId}' has control characters";
        }

        if (string.IsNullOrWhiteSpace(Espeak))
        {
            yield return $"{p}Espeak: empty: name the espeak-ng program (default \"espeak-ng\")";
        }
    }
}
