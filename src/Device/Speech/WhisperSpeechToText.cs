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

    private const int HeaderBytes = 4 + 11 * 4;

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

        Span<byte> head = stackalloc byte[HeaderBytes];
        int read;
        try
        {
            using var file = File.OpenRead(modelPath);
            read = file.ReadAtLeast(head, HeaderBytes, throwOnEndOfStream: false);
            if (read < 4)
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
            string gguf = head[..4].SequenceEqual("GGUF"u8) ? " (it is a GGUF file, e.g. a language model; whisper needs its own ggml-*.bin)" : "";
            throw new SpeechException($"whisper: {modelPath} is not a ggml model file (magic 0x{magic:x8}, expected 0x{GgmlMagic:x8}){gguf}");
        }

        // whisper.cpp asserts (and so ends the process) on nonsense hyper-parameters: check them here first.
        string? problem = read < HeaderBytes ? "the header is cut short" : HeaderProblem(head[4..]);
        if (problem is not null)
        {
            throw new SpeechException($"whisper: {modelPath} is not a usable whisper ggml model: {problem}");
        }
    }

    /// <summary>The 11 int32 hyper-parameters after the magic, as whisper.cpp's loader reads them; null when plausible
    /// (real models: vocabulary 51 864-51 866, audio context 1 500, widths 384-1 280, 4-32 layers, 80 or 128 mel
    /// bands, ftype below 40 after removing the quantisation version × 1000).</summary>
    private static string? HeaderProblem(ReadOnlySpan<byte> h)
    {
        var v = new int[11];
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(h[(4 * i)..]);
        }

        int Get(int i) => v[i];
        (string Name, int Value, int Min, int Max)[] fields =
        [
            ("n_vocab", Get(0), 1, 1_000_000), ("n_audio_ctx", Get(1), 1, 100_000), ("n_audio_state", Get(2), 1, 100_000),
            ("n_audio_head", Get(3), 1, 1024), ("n_audio_layer", Get(4), 1, 1024), ("n_text_ctx", Get(5), 1, 100_000),
            ("n_text_state", Get(6), 1, 100_000), ("n_text_head", Get(7), 1, 1024), ("n_text_layer", Get(8), 1, 1024),
            ("n_mels", Get(9), 1, 1024), ("ftype", Get(10) < 0 ? -1 : Get(10) % 1000, 0, 39),
        ];
        foreach (var (name, value, min, max) in fields)
        {
            if (value < min || value > max)
            {
                return $"{name} = {value}";
            }
        }

        return null;
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
