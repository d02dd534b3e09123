using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace EdgeLlm.Device.Speech;

/// <summary>
/// PocketSphinx from Debian by P/Invoke, 0.8 or 5.x chosen by the library's exports (docs/voice.md). Free dictation
/// with the model's n-gram LM, or a JSGF grammar of commands. One decoder per instance; calls are serialised.
/// Likelihood is the posterior of the best path, <c>logmath_exp(ps_get_prob())</c> — Rhasspy's meaning.
/// PocketSphinx logs to stderr by default; here its log goes to a temporary file while the model loads (its ERROR
/// lines become the exception message) and to /dev/null afterwards.
/// </summary>
public sealed unsafe class PocketSphinxSpeechToText : ISpeechToText
{
    private const string GrammarSearch = "commands";

    /// <summary>PocketSphinx keeps its log target process-wide: loads take turns.</summary>
    private static readonly object LoadLock = new();

    private readonly PocketSphinxLibrary _lib;
    private readonly object _gate = new();
    private nint _decoder;

    /// <param name="grammarFile">A JSGF file; null or "" = free dictation.</param>
    /// <param name="modelFolder">"" = Debian's pocketsphinx-en-us (<see cref="PocketSphinxModel.Find"/>).</param>
    public PocketSphinxSpeechToText(string? grammarFile = null, string? modelFolder = null)
        : this(PocketSphinxLibrary.Load(), PocketSphinxModel.Find(modelFolder ?? ""), ReadGrammar(grammarFile), grammarFile)
    {
    }

    internal PocketSphinxSpeechToText(PocketSphinxLibrary lib, PocketSphinxModel model, string? grammar, string? grammarFile)
    {
        _lib = lib;
        Model = model;
        Name = grammar is null
            ? $"{lib.Description} (dictation)"
            : $"{lib.Description} (grammar {Path.GetFileName(grammarFile)})";
        _decoder = Load(lib, model, grammar, grammarFile);
    }

    public static PocketSphinxSpeechToText FromOptions(SpeechOptions options) =>
        new(options.Grammar is { Length: > 0 } g ? g : null, options.PocketSphinxModel);

    public string Name { get; }

    public PocketSphinxApi Api => _lib.Api;

    public PocketSphinxModel Model { get; }

    public Task<Transcript> TranscribeAsync(ReadOnlyMemory<short> samples, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (samples.IsEmpty)
        {
            return Task.FromResult(new Transcript("", 0, 0));
        }

        // The decoder runs in native code for ~0.1-1 s per utterance; it cannot be interrupted once started.
        return Task.Run(() => Decode(samples), cancellationToken);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_decoder != 0)
            {
                _lib.Free(_decoder);
                _decoder = 0;
            }
        }
    }

    private Transcript Decode(ReadOnlyMemory<short> samples)
    {
        var watch = Stopwatch.StartNew();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_decoder == 0, this);
            if (_lib.StartUtt(_decoder) < 0)
            {
                throw new SpeechException($"{Name}: ps_start_utt failed");
            }

            short[] dithered = Dither(samples.Span);
            int processed;
            fixed (short* data = dithered)
            {
                processed = _lib.ProcessRaw(_decoder, data, (nuint)samples.Length, 0, 1);
            }

            if (_lib.EndUtt(_decoder) < 0 || processed < 0)
            {
                throw new SpeechException($"{Name}: decoding failed (ps_process_raw {processed})");
            }

            int score;
            nint hyp = _lib.GetHyp(_decoder, &score);
            string text = hyp == 0 ? "" : (Marshal.PtrToStringUTF8(hyp) ?? "").Trim();
            double likelihood = 0;
            if (text.Length > 0)
            {
                int prob = _lib.GetProb(_decoder);
                nint logmath = _lib.GetLogmath(_decoder);
                likelihood = logmath == 0 ? 0 : Math.Clamp(_lib.LogmathExp(logmath, prob), 0, 1);
            }

            return new Transcript(text, likelihood, watch.Elapsed.TotalSeconds);
        }
    }

    /// <summary>
    /// Adds ±1 LSB of noise from a fixed seed (so a given recording always decodes the same). The front end takes the
    /// log of each frame's energy: a digitally silent frame (espeak-ng writes exact zeros between words, so does a
    /// muted microphone) wrecks the cepstral mean, and all four test commands then decoded to nothing; with this
    /// dither all four came out exactly. PocketSphinx's own -dither draws from a process-wide generator instead.
    /// </summary>
    internal static short[] Dither(ReadOnlySpan<short> samples)
    {
        var result = new short[samples.Length];
        uint state = 0x9E3779B9;
        for (int i = 0; i < samples.Length; i++)
        {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            int noise = (int)(state % 3) - 1;
            result[i] = (short)Math.Clamp(samples[i] + noise, short.MinValue, short.MaxValue);
        }

        return result;
    }

    private static string? ReadGrammar(string? grammarFile)
    {
        if (string.IsNullOrEmpty(grammarFile))
        {
            return null;
        }

        try
        {
            return File.ReadAllText(grammarFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SpeechException(
                e is FileNotFoundException or DirectoryNotFoundException
                    ? $"grammar file {grammarFile} not found"
                    : $"grammar file {grammarFile}: {e.Message}", e);
        }
    }

    private static nint Load(PocketSphinxLibrary lib, PocketSphinxModel model, string? grammar, string? grammarFile)
    {
        lock (LoadLock)
        {
            string log = Path.Combine(Path.GetTempPath(), $"edgellm-pocketsphinx-{Environment.ProcessId}-{Guid.NewGuid():N}.log");
            using var strings = new NativeUtf8Strings();
            lib.SetLogfile(strings.Utf8(log));
            nint config = 0, decoder = 0;
            string? failure = null;
            try
            {
                config = lib.Api == PocketSphinxApi.Sphinx08 ? Config08(lib, model, grammar is null, strings) : Config5(lib, model, grammar is null, strings);
                if (config == 0)
                {
                    failure = "the configuration was refused";
                }
                else
                {
                    decoder = lib.Init(config);
                    lib.ConfigFree(config); // the decoder holds its own reference
                    if (decoder == 0)
                    {
                        failure = $"cannot load the model in {Path.GetDirectoryName(model.AcousticModel)}";
                    }
                    else if (grammar is not null)
                    {
                        byte* name = strings.Utf8(GrammarSearch);
                        if (lib.AddJsgf(decoder, name, strings.Utf8(grammar)) < 0 || lib.ActivateSearch(decoder, name) < 0)
                        {
                            failure = $"grammar {grammarFile} was refused";
                        }
                    }
                }
            }
            finally
            {
                // Reopening the log closes (and so flushes) the temporary file; PocketSphinx writes to /dev/null from here.
                lib.SetLogfile(strings.Utf8("/dev/null"));
            }

            string detail = failure is null ? "" : FirstError(log);
            TryDelete(log);
            if (failure is not null)
            {
                if (decoder != 0)
                {
                    lib.Free(decoder);
                }

                throw new SpeechException($"{lib.Description}: {failure}{(detail.Length > 0 ? ": " + detail : "")}");
            }

            return decoder;
        }
    }

    private static nint Config08(PocketSphinxLibrary lib, PocketSphinxModel model, bool dictation, NativeUtf8Strings strings)
    {
        string[] args = dictation
            ? ["-hmm", model.AcousticModel, "-dict", model.Dictionary, "-lm", model.LanguageModel]
            : ["-hmm", model.AcousticModel, "-dict", model.Dictionary];
        byte** argv = stackalloc byte*[args.Length];
        for (int i = 0; i < args.Length; i++)
        {
            argv[i] = strings.Utf8(args[i]);
        }

        return lib.CmdLnParse(0, lib.Args(), args.Length, argv, 1);
    }

    private static nint Config5(PocketSphinxLibrary lib, PocketSphinxModel model, bool dictation, NativeUtf8Strings strings)
    {
        nint config = lib.ConfigInit(0);
        if (config == 0)
        {
            return 0;
        }

        (string Key, string Value)[] settings = dictation
            ? [("hmm", model.AcousticModel), ("dict", model.Dictionary), ("lm", model.LanguageModel)]
            : [("hmm", model.AcousticModel), ("dict", model.Dictionary)];
        foreach (var (key, value) in settings)
        {
            if (lib.ConfigSetStr(config, strings.Utf8(key), strings.Utf8(value)) == 0)
            {
                lib.ConfigFree(config);
                return 0;
            }
        }

        return config;
    }

    /// <summary>The first ERROR line of a PocketSphinx log, without its source file and line prefix.</summary>
    internal static string FirstError(string logFile)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(logFile);
        }
        catch (IOException)
        {
            return "";
        }

        string? error = lines.FirstOrDefault(l => l.StartsWith("ERROR:", StringComparison.Ordinal) || l.StartsWith("FATAL", StringComparison.Ordinal));
        if (error is null)
        {
            return "";
        }

        // 'ERROR: "acmod.c", line 79: Folder ... does not contain ...' -> 'Folder ... does not contain ...'
        int colon = error.IndexOf("line ", StringComparison.Ordinal);
        if (colon >= 0)
        {
            int after = error.IndexOf(':', colon);
            if (after >= 0)
            {
                return error[(after + 1)..].Trim();
            }
        }

        return error[(error.IndexOf(':') + 1)..].Trim();
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // A leftover temp log is harmless.
        }
    }
}
