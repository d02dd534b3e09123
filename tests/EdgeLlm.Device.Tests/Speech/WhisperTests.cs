using EdgeLlm.Device.Speech;
using EdgeLlm.Device.Tests.Audio;
using NUnit.Framework;

namespace EdgeLlm.Device.Tests.Speech;

/// <summary>
/// No ggml model can be had on this machine (no network to the model hubs, none in a package), so Whisper.net is
/// tested for its configuration and its errors only — docs/voice.md says so.
/// </summary>
public class WhisperTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void Folder() => _temp = new TempFolder();

    [TearDown]
    public void Clean() => _temp.Dispose();

    [Test]
    public void AMissingModelFileIsOneLine()
    {
        string missing = _temp.File("ggml-base.en.bin");
        Assert.That(() => new WhisperSpeechToText(missing),
            Throws.TypeOf<SpeechException>().With.Message.EqualTo($"whisper: model file {missing} not found (Speech:WhisperModel)"));
    }

    [Test]
    public void AFileThatIsNotGgmlIsOneLine()
    {
        string text = _temp.File("model.bin");
        File.WriteAllText(text, "not a model at all");
        Assert.That(() => new WhisperSpeechToText(text),
            Throws.TypeOf<SpeechException>().With.Message.EqualTo($"whisper: {text} is not a ggml model file (magic 0x20746f6e, expected 0x67676d6c)"));
        string gguf = _temp.File("llm.gguf");
        File.WriteAllBytes(gguf, [(byte)'G', (byte)'G', (byte)'U', (byte)'F', 3, 0, 0, 0]);
        Assert.That(() => new WhisperSpeechToText(gguf), Throws.TypeOf<SpeechException>().With.Message.Contain("it is a GGUF file"));
        string tiny = _temp.File("tiny.bin");
        File.WriteAllBytes(tiny, [0x6c, 0x6d]);
        Assert.That(() => new WhisperSpeechToText(tiny), Throws.TypeOf<SpeechException>().With.Message.EqualTo($"whisper: {tiny} is not a ggml model file (2 bytes)"));
    }

    [Test]
    public void AGgmlMagicOverGarbageIsRefusedBeforeWhisperCppAssertsOnIt()
    {
        // Right magic, nonsense after it: whisper.cpp's loader asserts on the weight type and ends the test process
        // (seen: GGML_ASSERT(wtype != GGML_TYPE_COUNT)), so the hyper-parameters are checked first.
        string fake = _temp.File("ggml-fake.bin");
        var bytes = new byte[4096];
        BitConverter.GetBytes(WhisperSpeechToText.GgmlMagic).CopyTo(bytes, 0);
        new Random(5).NextBytes(bytes.AsSpan(4));
        File.WriteAllBytes(fake, bytes);
        var e = Assert.Throws<SpeechException>(() => new WhisperSpeechToText(fake))!;
        Assert.That(e.Message, Does.StartWith($"whisper: {fake} is not a usable whisper ggml model: n_vocab = "));
        Assert.That(e.Message, Does.Not.Contain('\n'));
    }

    [Test]
    public void OptionsChooseTheEngineAndNeedAModelForWhisper()
    {
        Assert.That(new SpeechOptions().Validate(), Is.Empty);
        Assert.That(new SpeechOptions { Engine = "whisper" }.Validate(), Has.One.StartWith("Speech:WhisperModel is empty"));
        Assert.That(new SpeechOptions { Engine = "whisper", WhisperModel = "m.bin", Grammar = "g.jsgf" }.Validate(), Has.One.StartWith("Speech:Grammar is for pocketsphinx"));
        Assert.That(new SpeechOptions { Engine = "vosk" }.Validate(), Has.One.EqualTo("Speech:Engine = \"vosk\": must be pocketsphinx or whisper"));
        Assert.That(new SpeechOptions { Language = "" }.Validate(), Has.One.StartWith("Speech:Language is empty"));
    }

    [Test]
    public void TheFactoryBuildsTheConfiguredEngineOrSaysWhy()
    {
        string missing = _temp.File("ggml-small.bin");
        Assert.That(() => SpeechToTextFactory.Create(new SpeechOptions { Engine = "whisper", WhisperModel = missing }),
            Throws.TypeOf<SpeechException>().With.Message.Contain("not found"));
        Assert.That(() => SpeechToTextFactory.Create(new SpeechOptions { Engine = "whisper" }),
            Throws.TypeOf<SpeechException>().With.Message.StartWith("Speech:WhisperModel is empty"));
        // A grammar loads in a fraction of the dictation LM's seconds.
        string grammar = _temp.File("yes-no.jsgf");
        File.WriteAllText(grammar, "#JSGF V1.0;\ngrammar yn;\npublic <a> = yes | no;\n");
        using var engine = SpeechToTextFactory.Create(new SpeechOptions { Grammar = grammar });
        Assert.That(engine, Is.TypeOf<PocketSphinxSpeechToText>());
        Assert.That(engine.Name, Is.EqualTo("pocketsphinx-0.8 (grammar yes-no.jsgf)"));
    }
}
