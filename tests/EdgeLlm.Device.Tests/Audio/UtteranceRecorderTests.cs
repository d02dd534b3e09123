using EdgeLlm.Device.Audio;
using EdgeLlm.Device.Tests.Speech;
using NUnit.Framework;

namespace EdgeLlm.Device.Tests.Audio;

public class UtteranceRecorderTests
{
    private const int Rate = 16_000;
    private static readonly int Pad = UtteranceRecorder.PadMs * Rate / 1000;

    private static short[] Noise(double seconds, double db = -55, int seed = 1) => Signals.NoiseDb(seconds, db, seed);

    [Test]
    public void LevelIsRmsInDbFullScale()
    {
        Assert.That(UtteranceRecorder.LevelDb(Signals.ToneDb(1000, 0.02, -20)), Is.EqualTo(-20).Within(0.1));
        Assert.That(UtteranceRecorder.LevelDb(new short[320]), Is.EqualTo(UtteranceRecorder.SilenceDb));
        Assert.That(UtteranceRecorder.LevelDb(Enumerable.Repeat(short.MaxValue, 320).ToArray()), Is.EqualTo(0).Within(0.01));
    }

    [Test]
    public async Task HandsFreeEndsOnSilenceAfterSpeechAndTrimsToThePads()
    {
        // 1 s noise, 1 s tone burst at -15 dBFS over the noise, 3 s noise: ends 800 ms into the trailing noise.
        short[] signal = Signals.Concat(Noise(1), Signals.Mix(Signals.ToneDb(440, 1, -15), Noise(1, seed: 2)), Noise(3, seed: 3));
        var source = new PcmSource(signal);
        var u = await new UtteranceRecorder(new AudioOptions()).RecordAsync(source, CancellationToken.None);
        Assert.That(u.End, Is.EqualTo(UtteranceEnd.Silence));
        Assert.That(u.RecordedSeconds, Is.EqualTo(2.8).Within(0.03));
        Assert.That(source.Delivered, Is.LessThan(3 * Rate), "it stopped reading once the utterance ended");
        Assert.That(u.Samples.Length, Is.EqualTo(Rate + 2 * Pad).Within(UtteranceRecorder.FrameSamples));
        // The kept audio starts one pad before the burst.
        Assert.That(u.Samples.Span[..Pad].ToArray(), Is.EqualTo(signal[(Rate - Pad)..Rate]));
    }

    [Test]
    public async Task PausesShorterThanTheSilenceLimitDoNotEndIt()
    {
        short[] word = Signals.Mix(Signals.ToneDb(300, 0.4, -18), Noise(0.4, seed: 4));
        short[] signal = Signals.Concat(Noise(0.5), word, Noise(0.6, seed: 5), word, Noise(2, seed: 6));
        var u = await new UtteranceRecorder(new AudioOptions { SilenceMs = 800 }).RecordAsync(new PcmSource(signal), CancellationToken.None);
        Assert.That(u.End, Is.EqualTo(UtteranceEnd.Silence));
        Assert.That(u.Seconds, Is.EqualTo(0.4 + 0.6 + 0.4 + 2 * UtteranceRecorder.PadMs / 1000.0).Within(0.03));

        var shortLimit = await new UtteranceRecorder(new AudioOptions { SilenceMs = 400 }).RecordAsync(new PcmSource(signal), CancellationToken.None);
        Assert.That(shortLimit.Seconds, Is.EqualTo(0.4 + 2 * UtteranceRecorder.PadMs / 1000.0).Within(0.03), "a 400 ms limit ends in the pause");
    }

    [Test]
    public async Task NoSpeechWithinTheStartTimeoutGivesNothing()
    {
        var source = new PcmSource(Noise(20), frameSamples: 160);
        var u = await new UtteranceRecorder(new AudioOptions { StartTimeoutSeconds = 2 }).RecordAsync(source, CancellationToken.None);
        Assert.That(u.End, Is.EqualTo(UtteranceEnd.NoSpeech));
        Assert.That(u.HasSpeech, Is.False);
        Assert.That(u.RecordedSeconds, Is.EqualTo(2).Within(0.011));
    }

    [Test]
    public async Task AClickStartsNothing()
    {
        short[] click = Signals.ToneDb(2000, 0.03, -6);
        short[] signal = Signals.Concat(Noise(1), click, Noise(4, seed: 7));
        var u = await new UtteranceRecorder(new AudioOptions { StartTimeoutSeconds = 3 }).RecordAsync(new PcmSource(signal), CancellationToken.None);
        Assert.That(u.End, Is.EqualTo(UtteranceEnd.NoSpeech));
    }

    [Test]
    public async Task SpeechThatNeverStopsEndsAtTheMaximumLength()
    {
        short[] signal = Signals.Concat(Noise(0.5), Signals.ToneDb(500, 20, -20));
        var u = await new UtteranceRecorder(new AudioOptions { MaxUtteranceSeconds = 3 }).RecordAsync(new PcmSource(signal), CancellationToken.None);
        Assert.That(u.End, Is.EqualTo(UtteranceEnd.MaxLength));
        Assert.That(u.RecordedSeconds, Is.EqualTo(3));
        Assert.That(u.Seconds, Is.EqualTo(3 - 0.5 + UtteranceRecorder.PadMs / 1000.0).Within(0.021));
    }

    [Test]
    public async Task ANoiseFloorAboveTheThresholdStillEndpoints()
    {
        // -32 dBFS of noise passes the -40 dB threshold everywhere; the floor + 12 dB rule still finds the burst.
        short[] loud = Noise(6, db: -32, seed: 8);
        short[] signal = Signals.Mix(loud, Signals.ToneDb(700, 1, -12), offset: Rate);
        var u = await new UtteranceRecorder(new AudioOptions()).RecordAsync(new PcmSource(signal), CancellationToken.None);
        Assert.That(u.End, Is.EqualTo(UtteranceEnd.Silence));
        Assert.That(u.Seconds, Is.EqualTo(1 + 2 * UtteranceRecorder.PadMs / 1000.0).Within(0.03));
    }

    [Test]
    public async Task SpeechBelowTheAbsoluteThresholdIsNotSpeech()
    {
        short[] signal = Signals.Concat(new short[Rate], Signals.ToneDb(500, 1, -45), new short[3 * Rate]);
        var u = await new UtteranceRecorder(new AudioOptions { StartTimeoutSeconds = 4 }).RecordAsync(new PcmSource(signal), CancellationToken.None);
        Assert.That(u.End, Is.EqualTo(UtteranceEnd.NoSpeech));
        var lower = await new UtteranceRecorder(new AudioOptions { StartTimeoutSeconds = 4, ThresholdDb = -50 }).RecordAsync(new PcmSource(signal), CancellationToken.None);
        Assert.That(lower.End, Is.EqualTo(UtteranceEnd.Silence));
    }

    [Test]
    public async Task HoldToTalkIgnoresSilenceAndEndsOnRelease()
    {
        short[] word = Signals.Mix(Signals.ToneDb(300, 0.5, -18), Noise(0.5, seed: 9));
        // Two words 1.5 s apart (longer than SilenceMs), then the button is released at 4 s.
        short[] signal = Signals.Concat(Noise(0.3), word, Noise(1.5, seed: 10), word, Noise(6, seed: 11));
        var released = new TaskCompletionSource();
        int releaseFrame = 4 * Rate / 512;
        var source = new PcmSource(signal) { OnFrame = i => { if (i == releaseFrame) { released.SetResult(); } } };
        var u = await new UtteranceRecorder(new AudioOptions()).RecordAsync(source, released.Task, CancellationToken.None);
        Assert.That(u.End, Is.EqualTo(UtteranceEnd.Released));
        Assert.That(u.RecordedSeconds, Is.EqualTo(releaseFrame * 512 / (double)Rate).Within(0.001));
        Assert.That(u.Seconds, Is.EqualTo(0.5 + 1.5 + 0.5 + 2 * UtteranceRecorder.PadMs / 1000.0).Within(0.03), "both words kept");
    }

    [Test]
    public async Task HoldToTalkReleaseReachesASourceThatIsWaitingForAudio()
    {
        short[] signal = Signals.Concat(Noise(0.2), Signals.ToneDb(300, 0.5, -18), Noise(0.2, seed: 12));
        var source = new PcmSource(signal) { BlockAtEnd = true };
        var released = new TaskCompletionSource();
        var recording = new UtteranceRecorder(new AudioOptions()).RecordAsync(source, released.Task, CancellationToken.None);
        await Task.Delay(100);
        Assert.That(recording.IsCompleted, Is.False, "a live source waits for more audio");
        released.SetResult();
        var u = await recording.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(u.End, Is.EqualTo(UtteranceEnd.Released));
        Assert.That(u.Seconds, Is.EqualTo(0.5 + 0.4).Within(0.03), "pads clipped at the ends of the recording");
    }

    [Test]
    public async Task HoldToTalkWithoutSpeechGivesNothing()
    {
        var released = new TaskCompletionSource();
        var source = new PcmSource(Noise(3)) { OnFrame = i => { if (i == 40) { released.TrySetResult(); } } };
        var u = await new UtteranceRecorder(new AudioOptions()).RecordAsync(source, released.Task, CancellationToken.None);
        Assert.That(u.End, Is.EqualTo(UtteranceEnd.Released));
        Assert.That(u.HasSpeech, Is.False);
    }

    [Test]
    public void CancellationIsNotARelease()
    {
        using var cts = new CancellationTokenSource();
        var source = new PcmSource(Noise(1)) { BlockAtEnd = true, OnFrame = i => { if (i == 5) { cts.Cancel(); } } };
        Assert.That(async () => await new UtteranceRecorder(new AudioOptions()).RecordAsync(source, new TaskCompletionSource().Task, cts.Token),
            Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task EspeakSpeechInQuietIsEndpointedAroundTheWords()
    {
        using var temp = new TempFolder();
        short[] speech = WavFile.ReadMono16k(Espeak.Say("set a timer for five minutes", temp.Path, "timer.wav"));
        var trimmedAlone = UtteranceRecorder.TrimSilence(speech, -40);
        short[] signal = Signals.Mix(Signals.Concat(new short[Rate], speech, new short[3 * Rate]), Noise(5 + speech.Length / (double)Rate, -60, seed: 13));
        var u = await new UtteranceRecorder(new AudioOptions()).RecordAsync(new PcmSource(signal), CancellationToken.None);
        Assert.That(u.End, Is.EqualTo(UtteranceEnd.Silence));
        Assert.That(u.RecordedSeconds, Is.LessThan(1 + speech.Length / (double)Rate + 1.0));
        // Everything espeak-ng said is inside, with at most a pad of noise either side.
        Assert.That(u.Seconds, Is.GreaterThanOrEqualTo(trimmedAlone.Length / (double)Rate - 0.02));
        Assert.That(u.Seconds, Is.LessThanOrEqualTo(speech.Length / (double)Rate + 2 * UtteranceRecorder.PadMs / 1000.0));
    }

    [Test]
    public void OptionsAreValidated()
    {
        Assert.That(new AudioOptions().Validate(), Is.Empty);
        var bad = new AudioOptions { Device = "", MaxUtteranceSeconds = 0, SilenceMs = 5, StartTimeoutSeconds = -1, ThresholdDb = 3 };
        var problems = bad.Validate().ToList();
        Assert.That(problems, Has.Count.EqualTo(5));
        Assert.That(problems, Has.Some.StartsWith("Audio:Device").And.Some.StartsWith("Audio:SilenceMs = 5"));
        Assert.That(() => new UtteranceRecorder(bad), Throws.ArgumentException.With.Message.StartWith("Audio:Device"));
    }
}
