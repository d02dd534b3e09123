using System.Diagnostics;
using System.Text;
using Whisper.net;

namespace EdgeLlm.Device.Speech;

/// <summary>
/// whisper.cpp through Whisper.net 1.9.1 (docs/voice.md, "Whisper"): <c>WhisperFactory.FromPath(model)
/// .CreateBuilder().WithLanguage(lang).Build()</c>, then <c>ProcessAsync(float[] at 16 kHz)</c>. The model file is
/// checked before the native loader sees it (it must exist and start with the ggml magic), so a wrong path or a wrong
/// file is one line, not a native failure. Likelihood is the mean of the segments' token probabilities.
/// </summary>
public sealed class WhisperSpeechToText : ISpeechToText
{
    /// <summary>whisper.cpp's model files begin with the uint32 0x67676d6c ("ggml") in little-endian order.</summary>
    internal const uint GgmlMagic = 0x67676d6c;

    private readonly WhisperFactory _factory;
    private readonly WhisperProcessor _processor;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public WhisperSpeechToText(string modelPath, string language = "en")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(language);
        CheckModelFile(modelPath);
        try
        {
            _factory = WhisperFactory.FromPath(modelPath);
            var builder = _factory.CreateBuilder();
            _processor = (language == "auto" ? builder.WithLanguageDetection() : builder.WithLanguage(language)).Build();
        }
        catch (Exception e) when (e is not SpeechException)
        {
            _factory?.Dispose();
            throw new SpeechException($"whisper: cannot load {modelPath}: {FirstLine(e.Message)}", e);
        }

        Name = $"whisper ({Path.GetFileName(modelPath)})";
    }

    public static WhisperSpeechToText FromOptions(SpeechOptions options) => new(options.WhisperModel, options.Language);

    public string Name { get; }

    /// <summary>Refuses a missing file or one without the ggml magic, with one line that says so.</summary>
    public static void CheckModelFile(string modelPath)
    {
        if (string.IsNullOrWhiteSpace(modelPath))
        {
            throw new SpeechException("whisper: no model file given (Speech:WhisperModel): download a ggml model such as ggml-base.en.bin from whisper.cpp");
        }

        Span<byte> head = stackalloc byte[4];
        try
        {
            using var file = File.OpenRead(modelPath);
            if (file.ReadAtLeast(head, 4, throwOnEndOfStream: false) < 4)
            {
                throw new SpeechException($"whisper: {modelPath} is not a ggml model file ({file.Length} bytes)");
            }
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SpeechException($"whisper: model file {modelPath} not found (Speech:WhisperModel)", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SpeechException($"whisper: cannot read {modelPath}: {e.Message}", e);
        }

        uint magic = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(head);
        if (magic != GgmlMagic)
        {
            string gguf = head.SequenceEqual("GGUF"u8) ? " (it is a GGUF file, e.g. a language model; whisper needs its own ggml-*.bin)" : "";
            throw new SpeechException($"whisper: {modelPath} is not a ggml model file (magic 0x{magic:x8}, expected 0x{GgmlMagic:x8}){gguf}");
        }
    }

    public async Task<Transcript> TranscribeAsync(ReadOnlyMemory<short> samples, CancellationToken cancellationToken)
    {
        if (samples.IsEmpty)
        {
            return new Transcript("", 0, 0);
        }

        var watch = Stopwatch.StartNew();
        var pcm = new float[samples.Length];
        var span = samples.Span;
        for (int i = 0; i < pcm.Length; i++)
        {
            pcm[i] = span[i] / 32768f;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            var text = new StringBuilder();
            double probability = 0;
            int segments = 0;
            await foreach (var segment in _processor.ProcessAsync(pcm, cancellationToken))
            {
                text.Append(segment.Text);
                probability += segment.Probability;
                segments++;
            }

            string words = text.ToString().Trim();
            return new Transcript(words, words.Length == 0 || segments == 0 ? 0 : Math.Clamp(probability / segments, 0, 1), watch.Elapsed.TotalSeconds);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _processor.Dispose();
        _factory.Dispose();
        _gate.Dispose();
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
