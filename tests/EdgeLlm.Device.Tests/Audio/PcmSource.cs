using System.Runtime.CompilerServices;
using EdgeLlm.Device.Audio;

namespace EdgeLlm.Device.Tests.Audio;

/// <summary>Samples in memory as a source, in frames of a chosen size; <see cref="OnFrame"/> runs before each frame is
/// handed out (a hold-to-talk test releases the button there). With <see cref="BlockAtEnd"/> it waits at the end
/// like a live microphone instead of ending.</summary>
internal sealed class PcmSource(short[] samples, int frameSamples = 512) : IAudioSource
{
    public Action<int>? OnFrame { get; init; }

    public bool BlockAtEnd { get; init; }

    public int Delivered { get; private set; }

    public int SampleRate => 16_000;

    public string Name => "pcm:test";

    public async IAsyncEnumerable<ReadOnlyMemory<short>> CaptureAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        int index = 0;
        for (int i = 0; i < samples.Length; i += frameSamples, index++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            OnFrame?.Invoke(index);
            Delivered = Math.Min(samples.Length, i + frameSamples);
            yield return samples.AsMemory(i, Math.Min(frameSamples, samples.Length - i));
        }

        if (BlockAtEnd)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
