namespace EdgeLlm.Device.Speech;

/// <summary>Offline speech to text over 16 kHz mono 16-bit PCM (docs/voice.md). One utterance per call.</summary>
public interface ISpeechToText : IDisposable
{
    /// <summary>e.g. "pocketsphinx-0.8 (grammar commands.jsgf)", "whisper (ggml-base.en.bin)".</summary>
    string Name { get; }

    /// <summary>Transcribes one utterance. Silence or unintelligible speech gives an empty text, not an exception.</summary>
    Task<Transcript> TranscribeAsync(ReadOnlyMemory<short> samples, CancellationToken cancellationToken);
}
