namespace EdgeLlm.Device.Audio;

/// <summary>Why an utterance ended.</summary>
public enum UtteranceEnd
{
    /// <summary>Silence followed speech for <see cref="AudioOptions.SilenceMs"/>.</summary>
    Silence,

    /// <summary><see cref="AudioOptions.MaxUtteranceSeconds"/> was reached.</summary>
    MaxLength,

    /// <summary>Hold to talk: the button was released.</summary>
    Released,

    /// <summary>Hands-free: no speech within <see cref="AudioOptions.StartTimeoutSeconds"/>.</summary>
    NoSpeech,

    /// <summary>The source ended (end of a WAV file).</summary>
    EndOfStream,
}
