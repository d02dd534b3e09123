namespace EdgeLlm.Device.Audio;

/// <summary>
/// The "Audio" section of the configuration (docs/voice.md): where to record from and how an utterance is endpointed.
/// The host binds it and reports <see cref="Validate"/>'s lines.
/// </summary>
public sealed record AudioOptions
{
    /// <summary>ALSA device for <c>arecord -D</c> ("default", "plughw:1,0", "hw:CARD=Device,DEV=0").</summary>
    public string Device { get; set; } = "default";

    /// <summary>An utterance ends after this long whatever is heard.</summary>
    public double MaxUtteranceSeconds { get; set; } = 10;

    /// <summary>Hands-free: the utterance ends after this much silence following speech.</summary>
    public int SilenceMs { get; set; } = 800;

    /// <summary>Hands-free: no speech within this long gives an empty utterance.</summary>
    public double StartTimeoutSeconds { get; set; } = 5;

    /// <summary>
    /// A 20 ms frame is speech when its RMS level (dB full scale) reaches this AND is at least
    /// <see cref="UtteranceRecorder.NoiseMarginDb"/> above the quietest frame heard so far (docs/voice.md).
    /// </summary>
    public double ThresholdDb { get; set; } = -40;

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Device))
        {
            yield return "Audio:Device is empty: name an ALSA device (\"default\", \"plughw:1,0\"; `arecord -L` lists them)";
        }

        if (!(MaxUtteranceSeconds > 0 && MaxUtteranceSeconds <= 120))
        {
            yield return $"Audio:MaxUtteranceSeconds = {MaxUtteranceSeconds}: must be more than 0 and at most 120";
        }

        if (SilenceMs is < 100 or > 10_000)
        {
            yield return $"Audio:SilenceMs = {SilenceMs}: must be between 100 and 10000";
        }

        if (!(StartTimeoutSeconds > 0 && StartTimeoutSeconds <= 120))
        {
            yield return $"Audio:StartTimeoutSeconds = {StartTimeoutSeconds}: must be more than 0 and at most 120";
        }

        if (!(ThresholdDb >= -90 && ThresholdDb < 0))
        {
            yield return $"Audio:ThresholdDb = {ThresholdDb}: must be between -90 and 0 (dB full scale; -40 suits a USB microphone)";
        }
    }
}
