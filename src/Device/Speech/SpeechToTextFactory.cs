namespace EdgeLlm.Device.Speech;

/// <summary>Builds the configured engine for the host and the <c>listen</c> verb.</summary>
public static class SpeechToTextFactory
{
    /// <summary>A loaded engine; <see cref="SpeechException"/> (one line with the fix) when options, library or
    /// model are wrong.</summary>
    public static ISpeechToText Create(SpeechOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string? problem = options.Validate().FirstOrDefault();
        if (problem is not null)
        {
            throw new SpeechException(problem);
        }

        return string.Equals(options.Engine, "whisper", StringComparison.OrdinalIgnoreCase)
            ? WhisperSpeechToText.FromOptions(options)
            : PocketSphinxSpeechToText.FromOptions(options);
    }
}
