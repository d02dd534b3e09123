using EdgeLlm.Device.Audio;
using EdgeLlm.Device.Tests.Speech;
using NUnit.Framework;

namespace EdgeLlm.Device.Tests.Audio;

public class WavFileTests
{
    private TempFolder _temp = null!;
    private string _speech = null!;
    private short[] _reference = null!;

    [OneTimeSetUp]
    public void Speak()
    {
        _temp = new TempFolder();
        _speech = Espeak.Say("turn on the kitchen light", _temp.Path, "speech.wav");
        _reference = WavFile.ReadMono16k(_speech);
    }

    [OneTimeTearDown]
    public void Clean() => _temp.Dispose();

    [Test]
    public void SixteenKilohertzMonoIsReadExactly()
    {
        short[] samples = [.. Enumerable.Range(0, 5000).Select(i => (short)((i * 7919) % 65536 - 32768))];
        string path = _temp.File("exact.wav");
        WavFile.WriteMono16k(path, samples);
        Assert.That(WavFile.ReadMono16k(path), Is.EqualTo(samples));
    }

    [Test]
    public void EspeakAt22050IsResampledTo16k()
    {
        long bytes = new FileInfo(_speech).Length - 44;
        double seconds = bytes / 2 / 22_050.0;
        Assert.That(_reference.Length, Is.EqualTo((int)(seconds * 16_000)).Within(2));
        // What sox's own resampler makes of the same file: the two agree closely.
        short[] sox = WavFile.ReadMono16k(Espeak.Sox(_speech, _temp.File("sox16.wav"), "-r", "16000", "-D"));
        Assert.That(Correlation(_reference, sox), Is.GreaterThan(0.995));
    }

    [TestCase("-b", "8", "-e", "unsigned-integer")]
    [TestCase("-b", "24")]
    [TestCase("-b", "32")]
    [TestCase("-e", "floating-point", "-b", "32")]
    [TestCase("-e", "floating-point", "-b", "64")]
    [TestCase("-c", "2", "-r", "44100")]
    [TestCase("-c", "2", "-r", "48000", "-b", "24")]
    [TestCase("-r", "8000")]
    public void OtherEncodingsRatesAndChannelsGiveTheSameSpeech(params string[] format)
    {
        string variant = Espeak.Sox(_speech, _temp.File($"v{Guid.NewGuid():N}.wav"), [.. format, "-D"]);
        short[] samples = WavFile.ReadMono16k(variant);
        Assert.That(samples.Length, Is.EqualTo(_reference.Length).Within(3));
        // 8 kHz loses everything above 4 kHz and 8-bit adds -48 dB of quantisation noise; the rest is near identical.
        double minimum = format.Contains("8000") ? 0.9 : format.Contains("8") ? 0.98 : 0.995;
        Assert.That(Correlation(_reference, samples), Is.GreaterThan(minimum));
    }

    [Test]
    public void StereoIsAveraged()
    {
        // Left = speech, right = silence: the mix is speech at half level.
        string stereo = Espeak.Sox(_speech, _temp.File("lr.wav"), "-c", "2", "-r", "16000", "-D", "--", "remix", "1", "0");
        short[] mix = WavFile.ReadMono16k(stereo);
        short[] mono = WavFile.ReadMono16k(Espeak.Sox(_speech, _temp.File("m16.wav"), "-r", "16000", "-D"));
        Assert.That(mix, Has.Length.EqualTo(mono.Length));
        for (int i = 0; i < mix.Length; i++)
        {
            Assert.That(mix[i], Is.EqualTo(mono[i] / 2.0).Within(1.0), $"sample {i}");
        }
    }

    [TestCase("a-law", "A-law")]
    [TestCase("u-law", "µ-law")]
    [TestCase("ima-adpcm", "IMA ADPCM")]
    [TestCase("ms-adpcm", "MS ADPCM")]
    public void CompressedFormatsAreRefusedByName(string encoding, string name)
    {
        string path = Espeak.Sox(_speech, _temp.File($"{encoding}.wav"), "-e", encoding);
        var e = Assert.Throws<AudioSourceException>(() => WavFile.ReadMono16k(path))!;
        Assert.That(e.Message, Does.Contain(name).And.Contain("is not read").And.Contain(Path.GetFileName(path)));
        Assert.That(e.Message, Does.Not.Contain('\n'));
    }

    [Test]
    public void ATruncatedDataChunkIsRefused()
    {
        byte[] bytes = File.ReadAllBytes(_speech);
        string cut = _temp.File("cut.wav");
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<AudioSourceException>(() => WavFile.ReadMono16k(cut))!;
        Assert.That(e.Message, Does.Contain("truncated WAV").And.Contain($"says {bytes.Length - 44} bytes"));
    }

    [TestCase(30, "fmt chunk is 16 bytes")]
    [TestCase(40, "no data chunk")]
    [TestCase(20, "fmt chunk is 16 bytes, 0 remain")]
    [TestCase(14, "no fmt chunk")]
    [TestCase(8, "not a RIFF/WAVE file")]
    public void ATruncatedHeaderIsRefused(int keep, string message)
    {
        byte[] bytes = File.ReadAllBytes(_speech);
        string cut = _temp.File($"head{keep}.wav");
        File.WriteAllBytes(cut, bytes[..keep]);
        var e = Assert.Throws<AudioSourceException>(() => WavFile.ReadMono16k(cut))!;
        Assert.That(e.Message, Does.Contain(message));
    }

    [Test]
    public void NotAWavFileOrNoFileIsRefused()
    {
        string text = _temp.File("notes.wav");
        File.WriteAllText(text, "these are not the samples you are looking for");
        Assert.That(() => WavFile.ReadMono16k(text), Throws.TypeOf<AudioSourceException>().With.Message.Contain("not a RIFF/WAVE file"));
        string missing = _temp.File("missing.wav");
        Assert.That(() => new WavAudioSource(missing), Throws.TypeOf<AudioSourceException>().With.Message.EqualTo($"{missing}: no such file"));
    }

    [Test]
    public void TheStreamedLengthMarkerReadsToTheEnd()
    {
        // A writer on a pipe cannot seek back: sox and espeak-ng --stdout leave ~4 GB (0xFFFFFFFF-ish) as the size.
        byte[] bytes = File.ReadAllBytes(_speech);
        BitConverter.GetBytes(0xFFFF_FFFFu).CopyTo(bytes, 40);
        Assert.That(WavFile.Decode(bytes, "streamed"), Is.EqualTo(_reference));
    }

    [Test]
    public async Task TheSourceDeliversTheFileIn20MsFrames()
    {
        await using var source = new WavAudioSource(_speech);
        var frames = new List<short>();
        int count = 0;
        await foreach (var frame in source.CaptureAsync(CancellationToken.None))
        {
            Assert.That(frame.Length, Is.LessThanOrEqualTo(UtteranceRecorder.FrameSamples));
            frames.AddRange(frame.ToArray());
            count++;
        }

        Assert.That(frames, Is.EqualTo(_reference));
        Assert.That(count, Is.EqualTo((_reference.Length + 319) / 320));
        Assert.That(source.Name, Is.EqualTo("wav:speech.wav"));
    }

    internal static double Correlation(short[] a, short[] b)
    {
        int n = Math.Min(a.Length, b.Length);
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < n; i++)
        {
            ab += (double)a[i] * b[i];
            aa += (double)a[i] * a[i];
            bb += (double)b[i] * b[i];
        }

        return ab / Math.Sqrt(aa * bb);
    }
}
