namespace EdgeLlm.Device.Speech;

/// <summary>The "Speech" section of the configuration (docs/voice.md). The host binds it and reports
/// <see cref="Validate"/>'s lines; <see cref="SpeechToTextFactory.Create"/> builds the engine.</summary>
public sealed record SpeechOptions
{
    /// <summary>"pocketsphinx" or "whisper".</summary>
    public string Engine { get; set; } = "pocketsphinx";

    /// <summary>A JSGF grammar file of commands; "" = free dictation. PocketSphinx only.</summary>
    public string Grammar { get; set; } = "";

    /// <summary>"" = Debian's pocketsphinx-en-us (<see cref="PocketSphinxModel.DebianFolder"/>).</summary>
    public string PocketSphinxModel { get; set; } = "";

    /// <summary>A whisper.cpp ggml model file (e.g. ggml-base.en.bin); required when <see cref="Engine"/> is whisper.</summary>
    public string WhisperModel { get; set; } = "";

    /// <summary>Whisper's language code ("en", "de", …; "auto" detects). PocketSphinx speaks its model's language.</summary>
    public string Language { get; set; } = "en";

    public IEnumerable<string> Validate()
    {
        bool whisper = string.Equals(Engine, "whisper", StringComparison.OrdinalIgnoreCase);
        if (!whisper && !string.Equals(Engine, "pocketsphinx", StringComparison.OrdinalIgnoreCase))
        {
            yield return $"Speech:Engine = \"{Engine}\": must be pocketsphinx or whisper";
        }

        if (whisper && string.IsNullOrWhiteSpace(WhisperModel))
        {
            yield return "Speech:WhisperModel is empty: Engine = whisper needs a ggml model file (e.g. ggml-base.en.bin from whisper.cpp)";
        }

        if (whisper && !string.IsNullOrWhiteSpace(Grammar))
        {
            yield return "Speech:Grammar is for pocketsphinx: whisper transcribes freely (leave Grammar empty or use Engine = pocketsphinx)";
        }

        if (string.IsNullOrWhiteSpace(Language))
        {
            yield return "Speech:Language is empty: give a language code such as \"en\"";
        }
    }
}
