using EdgeLlm.Device.Audio;
using EdgeLlm.Device.Speech;
using EdgeLlm.Device.Tests.Audio;
using NUnit.Framework;

namespace EdgeLlm.Device.Tests.Speech;

/// <summary>Debian's PocketSphinx (0.8 here) on speech espeak-ng makes in the test, through the WAV reader, the
/// resampler and the endpoint.</summary>
public class PocketSphinxTests
{
    internal const string Grammar = """
        #JSGF V1.0;
        grammar commands;
        public <command> = <light> | <time> | <timer>;
        <light> = turn (on | off) the (kitchen | bedroom | living room) light;
        <time> = what time is it;
        <timer> = set a timer for (one | two | five | ten) minutes;
        """;

    private TempFolder _temp = null!;
    private string _grammarFile = null!;
    private PocketSphinxSpeechToText _commands = null!;

    [OneTimeSetUp]
    public void Load()
    {
        _temp = new TempFolder();
        _grammarFile = _temp.File("commands.jsgf");
        File.WriteAllText(_grammarFile, Grammar);
        _commands = new PocketSphinxSpeechToText(_grammarFile);
    }

    [OneTimeTearDown]
    public void Unload()
    {
        _commands.Dispose();
        _temp.Dispose();
    }

    private async Task<Transcript> Hear(ISpeechToText engine, string wav)
    {
        await using var source = new WavAudioSource(wav);
        var utterance = await new UtteranceRecorder(new AudioOptions()).RecordAsync(source, CancellationToken.None);
        Assert.That(utterance.HasSpeech, Is.True, "the endpoint found no speech");
        return await engine.TranscribeAsync(utterance.Samples, CancellationToken.None);
    }

    [Test]
    public void TheInstalledLibraryIsDebianBookwormsApi()
    {
        Assert.That(_commands.Api, Is.EqualTo(PocketSphinxApi.Sphinx08));
        Assert.That(_commands.Name, Is.EqualTo("pocketsphinx-0.8 (grammar commands.jsgf)"));
        Assert.That(_commands.Model.AcousticModel, Is.EqualTo(Path.Combine(PocketSphinxModel.DebianFolder, "en-us")));
    }

    [TestCase("turn on the kitchen light")]
    [TestCase("turn off the bedroom light")]
    [TestCase("turn off the living room light")]
    [TestCase("what time is it")]
    [TestCase("set a timer for five minutes")]
    [TestCase("set a timer for two minutes")]
    public async Task ACommandThroughTheGrammarIsExact(string command)
    {
        string wav = Espeak.Say(command, _temp.Path, $"{Guid.NewGuid():N}.wav");
        var t = await Hear(_commands, wav);
        Assert.That(t.Text, Is.EqualTo(command));
        Assert.That(t.Likelihood, Is.InRange(0.5, 1.0));
        Assert.That(t.Seconds, Is.GreaterThan(0));
    }

    [Test]
    public async Task AStereo44kRecordingWithHissIsStillExact()
    {
        string wav = Espeak.Say("turn on the bedroom light", _temp.Path, "bedroom.wav");
        string noisy = Espeak.Sox(wav, _temp.File("noisy.wav"), "-c", "2", "-r", "44100", "-D", "--", "pad", "0.5", "0.5");
        short[] speech = WavFile.ReadMono16k(noisy);
        short[] mixed = Signals.Mix(speech, Signals.NoiseDb(speech.Length / 16_000.0, -45, 3));
        var t = await _commands.TranscribeAsync(UtteranceRecorder.TrimSilence(mixed, -40), CancellationToken.None);
        Assert.That(t.Text, Is.EqualTo("turn on the bedroom light"));
    }

    [Test]
    public async Task ConcurrentCallsTakeTurnsAndAgree()
    {
        short[] kitchen = WavFile.ReadMono16k(Espeak.Say("turn on the kitchen light", _temp.Path, "k.wav"));
        short[] timer = WavFile.ReadMono16k(Espeak.Say("set a timer for ten minutes", _temp.Path, "t.wav"));
        var calls = Enumerable.Range(0, 6).Select(i => _commands.TranscribeAsync(i % 2 == 0 ? kitchen : timer, CancellationToken.None)).ToArray();
        var results = await Task.WhenAll(calls);
        for (int i = 0; i < results.Length; i++)
        {
            Assert.That(results[i].Text, Is.EqualTo(i % 2 == 0 ? "turn on the kitchen light" : "set a timer for ten minutes"));
        }
    }

    [Test]
    public async Task SilenceIsAnEmptyTranscript()
    {
        var t = await _commands.TranscribeAsync(new short[16_000], CancellationToken.None);
        Assert.That(t.Text, Is.Empty);
        Assert.That(t.Likelihood, Is.Zero);
        var none = await _commands.TranscribeAsync(ReadOnlyMemory<short>.Empty, CancellationToken.None);
        Assert.That(none.Text, Is.Empty);
    }

    [Test]
    public async Task DictationHearsWords()
    {
        using var dictation = new PocketSphinxSpeechToText();
        Assert.That(dictation.Name, Is.EqualTo("pocketsphinx-0.8 (dictation)"));
        string wav = Espeak.Say("the weather is nice today", _temp.Path, "weather.wav");
        var t = await Hear(dictation, wav);
        // espeak-ng's voice is far from the acoustic model's speakers: the words vary, but there are some.
        Assert.That(t.Text, Is.Not.Empty);
        Assert.That(t.Text.Split(' '), Has.Length.GreaterThanOrEqualTo(2));
        Assert.That(t.Likelihood, Is.InRange(0.0, 1.0));
        var silent = await dictation.TranscribeAsync(new short[16_000], CancellationToken.None);
        Assert.That(silent.Text, Is.Empty);
    }

    [Test]
    public void AGrammarWordMissingFromTheDictionaryIsOneLine()
    {
        string bad = _temp.File("bad.jsgf");
        File.WriteAllText(bad, "#JSGF V1.0;\ngrammar bad;\npublic <c> = turn on the flumbrizzle;\n");
        var e = Assert.Throws<SpeechException>(() => new PocketSphinxSpeechToText(bad))!;
        Assert.That(e.Message, Does.StartWith("pocketsphinx-0.8: grammar").And.Contain("bad.jsgf was refused").And.Contain("flumbrizzle"));
        Assert.That(e.Message, Does.Not.Contain('\n'));
    }

    [Test]
    public void AGrammarSyntaxErrorIsOneLine()
    {
        string bad = _temp.File("syntax.jsgf");
        File.WriteAllText(bad, "#JSGF V1.0;\ngrammar bad;\npublic <c> = turn (on | off the light;\n");
        var e = Assert.Throws<SpeechException>(() => new PocketSphinxSpeechToText(bad))!;
        Assert.That(e.Message, Does.StartWith("pocketsphinx-0.8: grammar").And.Contain("syntax.jsgf was refused"));
        Assert.That(e.Message, Does.Not.Contain('\n'));
    }

    [Test]
    public void AMissingGrammarFileOrModelFolderIsOneLine()
    {
        string missing = _temp.File("none.jsgf");
        Assert.That(() => new PocketSphinxSpeechToText(missing), Throws.TypeOf<SpeechException>().With.Message.EqualTo($"grammar file {missing} not found"));
        string noModel = _temp.File("no-model");
        Assert.That(() => new PocketSphinxSpeechToText(null, noModel),
            Throws.TypeOf<SpeechException>().With.Message.StartWith($"PocketSphinx model folder {noModel} not found"));
        Directory.CreateDirectory(noModel);
        Assert.That(() => new PocketSphinxSpeechToText(null, noModel),
            Throws.TypeOf<SpeechException>().With.Message.Contain("has no acoustic model"));
    }

    [Test]
    public void AnIncompleteAcousticModelIsRefusedBeforePocketSphinxSeesIt()
    {
        // PocketSphinx 0.8 ends the process (E_FATAL → exit) on a broken model file: the files are checked first.
        string model = _temp.File("incomplete-model");
        string acoustic = Path.Combine(model, "en-us");
        Directory.CreateDirectory(acoustic);
        foreach (string f in Directory.EnumerateFiles(Path.Combine(PocketSphinxModel.DebianFolder, "en-us")).Where(f => !f.EndsWith("means", StringComparison.Ordinal)))
        {
            File.Copy(f, Path.Combine(acoustic, Path.GetFileName(f)));
        }

        File.Copy(Path.Combine(PocketSphinxModel.DebianFolder, "cmudict-en-us.dict"), Path.Combine(model, "cmudict-en-us.dict"));
        File.Copy(Path.Combine(PocketSphinxModel.DebianFolder, "en-us.lm.bin"), Path.Combine(model, "en-us.lm.bin"));
        var e = Assert.Throws<SpeechException>(() => new PocketSphinxSpeechToText(_grammarFile, model))!;
        Assert.That(e.Message, Is.EqualTo($"PocketSphinx acoustic model {acoustic} lacks means (or it is empty): set Speech:PocketSphinxModel to a folder with the acoustic model, a .dict and a .lm.bin"));
        File.WriteAllText(Path.Combine(acoustic, "means"), "");
        Assert.That(() => new PocketSphinxSpeechToText(_grammarFile, model), Throws.TypeOf<SpeechException>().With.Message.Contain("lacks means (or it is empty)"));
    }

    [Test]
    public void TheDitherIsSmallAndRepeatable()
    {
        short[] silence = new short[1000];
        short[] a = PocketSphinxSpeechToText.Dither(silence), b = PocketSphinxSpeechToText.Dither(silence);
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a, Is.All.InRange(-1, 1));
        Assert.That(a.Count(v => v != 0), Is.GreaterThan(500));
        Assert.That(PocketSphinxSpeechToText.Dither(new short[] { short.MaxValue, short.MinValue }), Is.All.Not.EqualTo(0));
    }
}
