namespace EdgeLlm.Device.Audio;

/// <summary>A WAV file as an audio source: read and converted (<see cref="WavFile"/>) when constructed, so a bad file
/// fails at once; then delivered in 20 ms frames as fast as they are taken.</summary>
public sealed class WavAudioSource : IAudioSource
{
    public WavAudioSource(string path)
    {
        Samples = WavFile.ReadMono16k(path);
        Name = "wav:" + Path.GetFileName(path);
    }

    public int SampleRate => UtteranceRecorder.SampleRate;

    public string Name { get; }

    /// <summary>The whole file, 16 kHz mono.</summary>
    public ReadOnlyMemory<short> Samples { get; }

    public async IAsyncEnumerable<ReadOnlyMemory<short>> CaptureAsync(
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        for (int i = 0; i < Samples.Length; i += UtteranceRecorder.FrameSamples)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return Samples.Slice(i, Math.Min(UtteranceRecorder.FrameSamples, Samples.Length - i));
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
