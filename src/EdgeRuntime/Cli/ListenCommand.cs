using System.CommandLine;
using System.Globalization;
using EdgeLlm.Device.Audio;
using EdgeLlm.Device.Speech;

namespace EdgeLlm.EdgeRuntime.Cli;

/// <summary>
/// <c>edgellm listen</c>: the transcript of a WAV file (<c>--wav</c>) or of one utterance recorded live from an ALSA
/// device (<c>--device</c>, endpointed on silence), to stdout; likelihood and timings to stderr (docs/voice.md).
/// </summary>
public static class ListenCommand
{
    public static Command Create()
    {
        var wav = new Option<FileInfo?>("--wav") { Description = "a WAV recording (PCM or float, any rate and channel count)", HelpName = "FILE" };
        var device = new Option<string?>("--device") { Description = "record one utterance from this ALSA device (default, plughw:1,0, …)", HelpName = "ALSA_DEVICE" };
        var grammar = new Option<FileInfo?>("--grammar") { Description = "JSGF grammar of commands (absent = free dictation)", HelpName = "FILE" };
        var model = new Option<string>("--pocketsphinx-model") { Description = "PocketSphinx model folder (default: Debian's pocketsphinx-en-us)", DefaultValueFactory = _ => "", HelpName = "DIR" };
        var whisper = new Option<FileInfo?>("--whisper-model") { Description = "transcribe with whisper.cpp and this ggml model instead of PocketSphinx", HelpName = "FILE" };
        var language = new Option<string>("--language") { Description = "whisper's language", DefaultValueFactory = _ => "en" };
        var audio = new AudioOptions();
        var maxSeconds = new Option<double>("--max-seconds") { Description = "longest live utterance", DefaultValueFactory = _ => audio.MaxUtteranceSeconds };
        var silenceMs = new Option<int>("--silence-ms") { Description = "silence that ends a live utterance", DefaultValueFactory = _ => audio.SilenceMs };
        var startTimeout = new Option<double>("--start-timeout") { Description = "seconds to wait for speech to begin", DefaultValueFactory = _ => audio.StartTimeoutSeconds };
        var threshold = new Option<double>("--threshold-db") { Description = "speech level in dB full scale", DefaultValueFactory = _ => audio.ThresholdDb };

        var command = new Command("listen", "Print the transcript of a WAV file or of one utterance from a microphone")
        {
            wav, device, grammar, model, whisper, language, maxSeconds, silenceMs, startTimeout, threshold,
        };
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            var file = parse.GetValue(wav);
            string? live = parse.GetValue(device);
            if ((file is null) == (live is null))
            {
                Console.Error.WriteLine("edgellm listen: give --wav FILE or --device ALSA_DEVICE (one of them)");
                return 2;
            }

            var whisperModel = parse.GetValue(whisper);
            var speech = new SpeechOptions
            {
                Engine = whisperModel is null ? "pocketsphinx" : "whisper",
                Grammar = parse.GetValue(grammar)?.FullName ?? "",
                PocketSphinxModel = parse.GetValue(model)!,
                WhisperModel = whisperModel?.FullName ?? "",
                Language = parse.GetValue(language)!,
            };
            var audioOptions = new AudioOptions
            {
                Device = live ?? "default",
                MaxUtteranceSeconds = parse.GetValue(maxSeconds),
                SilenceMs = parse.GetValue(silenceMs),
                StartTimeoutSeconds = parse.GetValue(startTimeout),
                ThresholdDb = parse.GetValue(threshold),
            };
            try
            {
                return await ListenAsync(file, audioOptions, speech, cancellationToken);
            }
            catch (Exception e) when (e is AudioSourceException or SpeechException)
            {
                Console.Error.WriteLine($"edgellm listen: {e.Message}");
                return 1;
            }
        }));
        return command;
    }

    private static async Task<int> ListenAsync(FileInfo? file, AudioOptions audio, SpeechOptions speech, CancellationToken cancellationToken)
    {
        string? problem = audio.Validate().Concat(speech.Validate()).FirstOrDefault();
        if (problem is not null)
        {
            Console.Error.WriteLine($"edgellm listen: {problem}");
            return 2;
        }

        // The audio first: a bad file or device is reported before the model spends a second loading.
        ReadOnlyMemory<short> samples;
        string what;
        if (file is not null)
        {
            // A whole file is transcribed as it is: its pauses are the speaker's, not an end of utterance.
            samples = new WavAudioSource(file.FullName).Samples;
            what = file.Name;
        }
        else
        {
            await using var source = AlsaAudioSource.FromOptions(audio);
            Console.Error.WriteLine($"listening on {audio.Device} (speak now; {audio.SilenceMs} ms of silence ends)");
            var utterance = await new UtteranceRecorder(audio).RecordAsync(source, cancellationToken);
            samples = utterance.Samples;
            what = $"{audio.Device}, ended by {utterance.End.ToString().ToLowerInvariant()} after {utterance.RecordedSeconds:0.0} s";
        }

        using var engine = SpeechToTextFactory.Create(speech);
        var transcript = await engine.TranscribeAsync(samples, cancellationToken);
        using var stdout = CliRunner.StdOut();
        await stdout.WriteLineAsync(transcript.Text);
        double audioSeconds = samples.Length / (double)UtteranceRecorder.SampleRate;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{(transcript.Text.Length == 0 ? "nothing recognised; " : "")}likelihood {transcript.Likelihood:0.000}, {audioSeconds:0.00} s of audio ({what}), transcribed in {transcript.Seconds:0.00} s by {engine.Name}"));
        return 0;
    }
}
