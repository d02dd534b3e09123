namespace EdgeLlm.Device.Audio;

/// <summary>
/// Audio as 16 kHz mono signed 16-bit samples (docs/voice.md). <see cref="CaptureAsync"/> starts capturing when
/// enumerated and stops when the enumeration ends (cancellation, end of file, or the consumer stops).
/// </summary>
public interface IAudioSource : IAsyncDisposable
{
    /// <summary>Always 16 000: sources convert or refuse other formats.</summary>
    int SampleRate { get; }

    /// <summary>What this is, for logs and errors (e.g. "alsa:plughw:1,0", "wav:cmd.wav").</summary>
    string Name { get; }

    /// <summary>Frames of samples in arrival order. Errors (missing arecord, busy device, bad file) throw
    /// <see cref="AudioSourceException"/> with a one-line message; never hangs.</summary>
    IAsyncEnumerable<ReadOnlyMemory<short>> CaptureAsync(CancellationToken cancellationToken);
}
