using System.Runtime.CompilerServices;
using EdgeLlm.Device.Audio;

namespace EdgeLlm.EdgeRuntime.Tests.Voice;

/// <summary>
/// A microphone that streams like arecord does — 20 ms frames, never ending, until the capture is cancelled — and
/// plays what the test made it say (espeak-ng speech read by <see cref="WavAudioSource"/>) from the start of each
/// capture, then silence. Frames come 4× faster than real time: the recorder counts samples, not clock time.
/// </summary>
public sealed class MicrophoneStandIn : IAudioSource
{
    private readonly Lock _lock = new();
    private short[] _speech = [];
    private TaskCompletionSource _spoken = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _captures;

    public static TimeSpan FramePeriod { get; } = TimeSpan.FromMilliseconds(5);

    public int SampleRate => UtteranceRecorder.SampleRate;

    public string Name => "stand-in microphone";

    /// <summary>Captures started so far.</summary>
    public int Captures => Volatile.Read(ref _captures);

    /// <summary>Thrown by the next captures (a device that fails).</summary>
    public AudioSourceException? Failure { get; set; }

    /// <summary>Completes when a capture has played the whole utterance.</summary>
    public Task Spoken
    {
        get
        {
            lock (_lock)
            {
                return _spoken.Task;
            }
        }
    }

    /// <summary>What the next captures play; a WAV file of 16 kHz or any rate WavAudioSource converts.</summary>
    public void Say(string wav) => Say(new WavAudioSource(wav).Samples.ToArray());

    public void Say(short[] samples)
    {
        lock (_lock)
        {
            _speech = samples;
            _spoken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public async IAsyncEnumerable<ReadOnlyMemory<short>> CaptureAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _captures);
        if (Failure is { } failure)
        {
            throw failure;
        }

        short[] speech;
        TaskCompletionSource spoken;
        lock (_lock)
        {
            speech = _speech;
            spoken = _spoken;
        }

        var silence = new short[UtteranceRecorder.FrameSamples];
        for (int i = 0; ; i += UtteranceRecorder.FrameSamples)
        {
            await Task.Delay(FramePeriod, cancellationToken).ConfigureAwait(false);
            if (i < speech.Length)
            {
                yield return speech.AsMemory(i, Math.Min(UtteranceRecorder.FrameSamples, speech.Length - i));
            }
            else
            {
                spoken.TrySetResult();
                yield return silence;
            }
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
