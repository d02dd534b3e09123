namespace EdgeLlm.Device.Audio;

/// <summary>
/// Records one utterance from an <see cref="IAudioSource"/> with an energy endpoint (docs/voice.md, "Endpointing"):
/// 20 ms frames, RMS level in dB full scale, speech = level ≥ max(<see cref="AudioOptions.ThresholdDb"/>, quietest
/// frame so far + <see cref="NoiseMarginDb"/>). Speech starts after <see cref="StartFrames"/> speech frames in a row.
/// Hands-free ends on <see cref="AudioOptions.SilenceMs"/> of silence after speech; hold to talk ends when the release
/// task completes. Both stop at <see cref="AudioOptions.MaxUtteranceSeconds"/>. The result keeps
/// <see cref="PadMs"/> of audio either side of the speech and drops the rest. Time is counted in samples, so a WAV
/// file endpoints exactly as the same audio from a microphone.
/// </summary>
public sealed class UtteranceRecorder
{
    public const int SampleRate = 16_000;

    /// <summary>20 ms: short enough to end within one frame of the silence limit, long enough for a stable RMS.</summary>
    public const int FrameSamples = SampleRate / 50;

    /// <summary>A fan or road noise at -38 dBFS would pass -40 dBFS forever; 12 dB over the floor still catches quiet
    /// speech (espeak-ng's quietest words are ~25 dB over a -50 dBFS noise floor in the tests).</summary>
    public const double NoiseMarginDb = 12;

    /// <summary>60 ms of speech frames in a row: a click or a key press (one or two frames) starts nothing.</summary>
    public const int StartFrames = 3;

    /// <summary>Kept either side of the speech: the onsets of "f", "s", "h" are quieter than the threshold, and
    /// PocketSphinx wants some silence to estimate its cepstral mean.</summary>
    public const int PadMs = 300;

    /// <summary>The level of an all-zero frame.</summary>
    public const double SilenceDb = -120;

    private readonly AudioOptions _options;

    public UtteranceRecorder(AudioOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string? problem = options.Validate().FirstOrDefault();
        if (problem is not null)
        {
            throw new ArgumentException(problem, nameof(options));
        }

        _options = options;
    }

    /// <summary>Hands-free: waits up to the start timeout for speech, ends on silence after it.</summary>
    public Task<Utterance> RecordAsync(IAudioSource source, CancellationToken cancellationToken) =>
        RunAsync(source, release: null, cancellationToken);

    /// <summary>Hold to talk: records until <paramref name="release"/> completes (the button is let go), the maximum
    /// length, or the end of the source; silence does not end it.</summary>
    public Task<Utterance> RecordAsync(IAudioSource source, Task release, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(release);
        return RunAsync(source, release, cancellationToken);
    }

    /// <summary>RMS level of a frame in dB full scale (a full-scale square wave is 0 dB).</summary>
    public static double LevelDb(ReadOnlySpan<short> frame)
    {
        if (frame.IsEmpty)
        {
            return SilenceDb;
        }

        double sum = 0;
        foreach (short s in frame)
        {
            sum += (double)s * s;
        }

        double meanSquare = sum / frame.Length;
        return meanSquare <= 0 ? SilenceDb : Math.Max(SilenceDb, 10 * Math.Log10(meanSquare / (32768.0 * 32768.0)));
    }

    /// <summary>The speech in <paramref name="samples"/> with <see cref="PadMs"/> either side, judged with the
    /// quietest frame of the whole recording as the floor; empty when no frame run counts as speech.</summary>
    public static ReadOnlyMemory<short> TrimSilence(ReadOnlyMemory<short> samples, double thresholdDb)
    {
        int frames = samples.Length / FrameSamples;
        var levels = new double[frames];
        double floor = double.PositiveInfinity;
        for (int f = 0; f < frames; f++)
        {
            levels[f] = LevelDb(samples.Span.Slice(f * FrameSamples, FrameSamples));
            floor = Math.Min(floor, levels[f]);
        }

        double threshold = Math.Max(thresholdDb, floor + NoiseMarginDb);
        int first = -1, last = -1, run = 0;
        for (int f = 0; f < frames; f++)
        {
            run = levels[f] >= threshold ? run + 1 : 0;
            if (run >= StartFrames)
            {
                if (first < 0)
                {
                    first = f - StartFrames + 1;
                }

                last = f;
            }
        }

        if (first < 0)
        {
            return ReadOnlyMemory<short>.Empty;
        }

        int pad = PadMs * SampleRate / 1000;
        int start = Math.Max(0, first * FrameSamples - pad);
        int end = Math.Min(samples.Length, (last + 1) * FrameSamples + pad);
        return samples[start..end];
    }

    private async Task<Utterance> RunAsync(IAudioSource source, Task? release, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.SampleRate != SampleRate)
        {
            throw new AudioSourceException($"{source.Name}: delivers {source.SampleRate} Hz, the recorder needs {SampleRate} Hz");
        }

        int max = (int)Math.Round(_options.MaxUtteranceSeconds * SampleRate);
        int startTimeout = (int)Math.Round(_options.StartTimeoutSeconds * SampleRate);
        int silenceFrames = Math.Max(1, _options.SilenceMs * SampleRate / 1000 / FrameSamples);
        var buffer = new short[max];
        int count = 0, analysed = 0, run = 0, silent = 0;
        bool started = false;
        double floor = double.PositiveInfinity;
        UtteranceEnd end = UtteranceEnd.EndOfStream;

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (release is not null)
        {
            // A live source blocks between frames; cancelling its read is how a release reaches a waiting loop.
            _ = release.ContinueWith(
                _ =>
                {
                    try
                    {
                        stop.Cancel();
                    }
                    catch (ObjectDisposedException)
                    {
                        // Recording already finished.
                    }
                },
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        try
        {
            await foreach (var frame in source.CaptureAsync(stop.Token).WithCancellation(stop.Token))
            {
                if (release is { IsCompleted: true })
                {
                    end = UtteranceEnd.Released;
                    break;
                }

                int n = Math.Min(frame.Length, max - count);
                frame.Span[..n].CopyTo(buffer.AsSpan(count));
                count += n;
                bool done = false;
                while (!done && analysed + FrameSamples <= count)
                {
                    double level = LevelDb(buffer.AsSpan(analysed, FrameSamples));
                    analysed += FrameSamples;
                    floor = Math.Min(floor, level);
                    bool speech = level >= Math.Max(_options.ThresholdDb, floor + NoiseMarginDb);
                    if (!started)
                    {
                        run = speech ? run + 1 : 0;
                        started = run >= StartFrames;
                    }
                    else if (release is null)
                    {
                        silent = speech ? 0 : silent + 1;
                        if (silent >= silenceFrames)
                        {
                            end = UtteranceEnd.Silence;
                            count = analysed;
                            done = true;
                        }
                    }
                }

                if (done)
                {
                    break;
                }

                if (count >= max)
                {
                    end = UtteranceEnd.MaxLength;
                    break;
                }

                if (release is null && !started && count >= startTimeout)
                {
                    end = UtteranceEnd.NoSpeech;
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && release is { IsCompleted: true })
        {
            end = UtteranceEnd.Released;
        }

        var recorded = new ReadOnlyMemory<short>(buffer, 0, count);
        var speechPart = end == UtteranceEnd.NoSpeech ? ReadOnlyMemory<short>.Empty : TrimSilence(recorded, _options.ThresholdDb);
        return new Utterance(speechPart.ToArray(), end, count / (double)SampleRate);
    }
}
