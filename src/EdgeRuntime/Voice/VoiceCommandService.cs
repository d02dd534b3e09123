using System.Text;
using System.Text.Json;
using EdgeLlm.Device.Audio;
using EdgeLlm.Device.Gpio;
using EdgeLlm.Device.Speech;
using EdgeLlm.EdgeRuntime.Service;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeLlm.EdgeRuntime.Voice;

/// <summary>
/// The push-to-talk flow (docs/voice.md, "The voice flow"): button down → <c>voice {"type":"listening"}</c>, LED on →
/// record (hold to talk: until release; a short press: hands-free until silence) → transcribe →
/// <c>voice {"type":"transcript",…}</c> (and Hermes <c>textCaptured</c>) → the text enters the same prompt queue as
/// MQTT prompts, its reply on <c>edgellm/{id}/reply/voice-{n}</c>; LED blinks slowly until the reply is done → spoken
/// when Voice:Speaker is set. With actions configured the transcript is an intent instead (docs/voice.md, "Voice →
/// actions"): the action reply on the same topic, a short confirmation spoken. A long hold while a voice reply is generating cancels it. A device that fails (button,
/// microphone, speech engine) is one log line, a <c>voice</c> error and the LED's error blink; MQTT prompts go on.
/// </summary>
public sealed class VoiceCommandService(
    IVoiceHardware hardware,
    PromptGateway gateway,
    MqttConnection connection,
    Topics topics,
    ServiceOptions options,
    DeviceStatus status,
    StatusPublisher publisher,
    IServiceProvider services,
    ILogger<VoiceCommandService> log) : BackgroundService
{
    // registered by ServiceHost only when the configuration has actions
    private readonly IntentHandler? _intents = options.Actions is { Actions.Count: > 0 } ? services.GetRequiredService<IntentHandler>() : null;

    private readonly Lock _lock = new();
    private readonly HashSet<string> _prompts = new(StringComparer.Ordinal);
    private readonly HashSet<string> _cancelled = new(StringComparer.Ordinal);
    private readonly VoiceSpeaker? _speaker = options.Voice.Speaker.Length == 0 ? null
        : new VoiceSpeaker(options.Voice.Espeak, options.Voice.Speaker, log);

    private VoiceSession? _session;
    private long _count;
    private bool _deviceError;
    private bool _intentError;
    private IStatusLed? _led;
    private IAudioSource? _audio;
    private ISpeechToText? _speech;
    private UtteranceRecorder? _recorder;
    private readonly TaskCompletionSource<bool> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationToken _stopping;

    /// <summary>Completes once the button is watched (true) or the flow gave up on a device error (false).</summary>
    public Task<bool> Ready => _ready.Task;

    /// <summary>Presses that started a session (for diagnostics and tests).</summary>
    public long Sessions => Interlocked.Read(ref _count);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        _stopping = stoppingToken;
        IPushButton button;
        try
        {
            (button, _led) = hardware.OpenButton();
        }
        catch (GpioDeviceException e)
        {
            _ready.TrySetResult(false);
            await DeviceErrorAsync(null, "button: " + e.Message).ConfigureAwait(false);
            return;
        }

        try
        {
            _speech = hardware.OpenSpeech();
        }
        catch (SpeechException e)
        {
            _ready.TrySetResult(false);
            await DeviceErrorAsync(null, "speech: " + e.Message).ConfigureAwait(false);
            button.Dispose();
            _led?.Dispose();
            return;
        }

        _audio = hardware.OpenAudio();
        _recorder = new UtteranceRecorder(options.Audio);
        button.Pressed += OnPressed;
        button.Released += OnReleased;
        button.LongHold += OnLongHold;
        log.LogInformation("voice: ready ({Audio}, {Speech}{Speaker})", _audio.Name, _speech.Name, _speaker is null ? "" : ", speaking on " + options.Voice.Speaker);
        Refresh();
        _ready.TrySetResult(true);
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            button.Pressed -= OnPressed;
            button.Released -= OnReleased;
            button.LongHold -= OnLongHold;
            button.Dispose();
            _led?.Dispose();
            await _audio.DisposeAsync().ConfigureAwait(false);
            lock (_lock)
            {
                // a transcription still running holds the engine: leave it to the finalizer rather than free it under it
                if (_session is null)
                {
                    _speech.Dispose();
                }
            }
        }
    }

    private void OnPressed(object? sender, ButtonEventArgs e)
    {
        VoiceSession session;
        lock (_lock)
        {
            if (_session is not null)
            {
                log.LogDebug("voice: press ignored, still handling {Id}", _session.Id);
                return;
            }

            var n = Interlocked.Increment(ref _count);
            session = new VoiceSession(n, Topics.VoiceRequestId(n), _stopping);
            _session = session;
            _deviceError = false;
            _intentError = false;
        }

        Refresh();
        _ = Task.Run(() => RunSessionAsync(session));
    }

    private void OnReleased(object? sender, ButtonEventArgs e)
    {
        lock (_lock)
        {
            if (_session is not { LongHeld: false } s)
            {
                return;
            }

            if (e.IsShortPress)
            {
                s.ShortPress.TrySetResult();
            }
            else
            {
                s.Release.TrySetResult();
            }
        }
    }

    private void OnLongHold(object? sender, ButtonEventArgs e)
    {
        string[] cancelled;
        lock (_lock)
        {
            // idle, a long hold is only a long hold-to-talk; while a voice reply is generating it means "stop"
            if (_prompts.Count == 0)
            {
                return;
            }

            cancelled = [.. _prompts];
            _cancelled.UnionWith(cancelled); // a cancelled intent is the user's "stop", not an error to blink about
            if (_session is { } s)
            {
                s.LongHeld = true;
                s.Cancellation.Cancel();
            }
        }

        foreach (var id in cancelled)
        {
            gateway.Cancel(id);
        }

        log.LogInformation("voice: long hold cancelled {Ids}", string.Join(", ", cancelled));
        _ = PublishAsync(topics.Voice, VoiceEvents.Cancelled(cancelled));
    }

    private async Task RunSessionAsync(VoiceSession s)
    {
        var ct = s.Cancellation.Token;
        try
        {
            await PublishAsync(topics.Voice, VoiceEvents.Listening(s.Id)).ConfigureAwait(false);
            Utterance u;
            using (var hold = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                var holding = _recorder!.RecordAsync(_audio!, s.Release.Task, hold.Token);
                if (await Task.WhenAny(holding, s.ShortPress.Task).ConfigureAwait(false) != holding)
                {
                    // a short press: what was heard while the button was down is the click; listen hands-free now
                    await hold.CancelAsync().ConfigureAwait(false);
                    try
                    {
                        await holding.ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                    }

                    u = await _recorder.RecordAsync(_audio!, ct).ConfigureAwait(false);
                }
                else
                {
                    u = await holding.ConfigureAwait(false);
                }
            }

            SetRecording(s, false);
            if (!u.HasSpeech)
            {
                await DropAsync(s, null, u.End == UtteranceEnd.NoSpeech
                    ? $"no speech heard within {options.Audio.StartTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} s"
                    : "no speech heard").ConfigureAwait(false);
                return;
            }

            var t = await _speech!.TranscribeAsync(u.Samples, ct).ConfigureAwait(false);
            if (t.Text.Length == 0)
            {
                await DropAsync(s, "", $"speech not understood ({u.Seconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)} s heard, nothing recognised)").ConfigureAwait(false);
                return;
            }

            log.LogInformation("voice: {Id}: \"{Text}\" (likelihood {Likelihood:F3}, {Seconds:F1} s)", s.Id, t.Text, t.Likelihood, u.Seconds);
            await PublishAsync(topics.Voice, VoiceEvents.Transcript(s.Id, t, u)).ConfigureAwait(false);
            if (options.Voice.Hermes)
            {
                var site = options.Voice.SiteId.Length == 0 ? topics.DeviceId : options.Voice.SiteId;
                await PublishAsync(Topics.HermesTextCaptured, VoiceEvents.HermesTextCaptured(t, site, s.Id)).ConfigureAwait(false);
            }

            await RouteTranscriptAsync(s, t.Text).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // a long hold dropped this press, or the service is stopping
            End(s);
        }
        catch (AudioSourceException e)
        {
            await DeviceErrorAsync(s, "microphone: " + e.Message).ConfigureAwait(false);
        }
        catch (SpeechException e)
        {
            await DeviceErrorAsync(s, "speech: " + e.Message).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            log.LogError(e, "voice: {Id} failed", s.Id);
            await DeviceErrorAsync(s, e.Message).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The one place a transcript goes: with actions configured, the intent handler (docs/voice.md, "Voice → actions");
    /// otherwise the prompt queue.
    /// </summary>
    private Task RouteTranscriptAsync(VoiceSession s, string text) => _intents is { } intents ? IntentAsync(s, intents, text) : PromptAsync(s, text);

    private async Task IntentAsync(VoiceSession s, IntentHandler intents, string text)
    {
        lock (_lock)
        {
            _prompts.Add(s.Id); // a long hold cancels the call's generation like a voice reply's
            if (ReferenceEquals(_session, s))
            {
                _session = null;
            }
        }

        Refresh();
        IntentResult result;
        try
        {
            // no dry run from a button: a spoken command is meant to be carried out
            result = await intents.HandleTextAsync(text, "voice", dryRun: false, id: s.Id, _stopping).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogError(e, "voice: {Id}: the intent failed", s.Id);
            result = IntentResult.Error(s.Id, ErrorCodes.Internal, e.Message);
        }
        finally
        {
            lock (_lock)
            {
                _prompts.Remove(s.Id);
            }
        }

        bool cancelled;
        lock (_lock)
        {
            cancelled = _cancelled.Remove(s.Id);
            if (result.IsError && !cancelled)
            {
                _intentError = true; // the error blink until the next press
            }
        }

        if (result.IsError)
        {
            log.LogWarning("voice: {Id}: no action: {Code}: {Message}", s.Id, result.ErrorCode, result.Message);
        }

        Refresh();
        await PublishAsync(topics.VoiceReply(s.Number), IntentHandler.Reply(result)).ConfigureAwait(false);
        if (_speaker is not null && !cancelled)
        {
            await _speaker.SpeakAsync(Confirmation(result), _stopping).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// What the speaker says after a spoken command: the action's name in words, its argument values and "done"
    /// (<c>light_set {"state":"ON","brightness":128}</c> → "light set, state ON, brightness 128: done"), so the user
    /// hears what was carried out rather than what was heard; or "sorry, " and the error's message.
    /// </summary>
    public static string Confirmation(IntentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.IsError)
        {
            return "sorry, " + result.Message;
        }

        var said = new StringBuilder(result.Name!.Replace('_', ' '));
        if (result.Arguments.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in result.Arguments.EnumerateObject())
            {
                string value = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
                said.Append(", ").Append(p.Name.Replace('_', ' ')).Append(' ').Append(value);
            }
        }

        return said.Append(": done").ToString();
    }

    private async Task PromptAsync(VoiceSession s, string text)
    {
        lock (_lock)
        {
            _prompts.Add(s.Id);
            if (ReferenceEquals(_session, s))
            {
                _session = null; // the next press may start while this reply is generated
            }
        }

        Refresh();
        PromptOutcome outcome;
        try
        {
            outcome = await gateway.SubmitLocalAsync(gateway.LocalRequest(s.Id, text), topics.VoiceReply(s.Number), _stopping).ConfigureAwait(false);
        }
        finally
        {
            lock (_lock)
            {
                _prompts.Remove(s.Id);
            }

            Refresh();
        }

        if (!outcome.Done)
        {
            log.LogWarning("voice: {Id} not answered: {Code}: {Message}", s.Id, outcome.ErrorCode, outcome.Text);
        }
        else if (_speaker is not null && outcome.FinishReason != "cancelled")
        {
            await _speaker.SpeakAsync(outcome.Text, _stopping).ConfigureAwait(false);
        }
    }

    private async Task DropAsync(VoiceSession s, string? text, string message)
    {
        log.LogInformation("voice: {Id}: {Message}", s.Id, message);
        End(s); // before the event: whoever hears it may press again at once
        await PublishAsync(topics.Voice, VoiceEvents.Error(s.Id, message, text)).ConfigureAwait(false);
    }

    private async Task DeviceErrorAsync(VoiceSession? s, string message)
    {
        log.LogError("voice: {Message}", message);
        lock (_lock)
        {
            _deviceError = true;
            if (s is not null && ReferenceEquals(_session, s))
            {
                _session = null;
            }
        }

        Refresh();
        await PublishAsync(topics.Voice, VoiceEvents.Error(s?.Id, message)).ConfigureAwait(false);
    }

    private void End(VoiceSession s)
    {
        lock (_lock)
        {
            if (ReferenceEquals(_session, s))
            {
                _session = null;
            }
        }

        s.Cancellation.Dispose();
        Refresh();
    }

    private void SetRecording(VoiceSession s, bool recording)
    {
        lock (_lock)
        {
            s.Recording = recording;
        }

        Refresh();
    }

    /// <summary>
    /// Shows the state on the LED and in the status message: listening, else thinking, else error (a device error, or
    /// the last spoken command's intent failed) or idle.
    /// </summary>
    private void Refresh()
    {
        LedState led;
        string state;
        lock (_lock)
        {
            (led, state) = _session is { Recording: true } ? (LedState.Listening, VoiceStates.Listening)
                : _session is not null || _prompts.Count > 0 ? (LedState.Thinking, VoiceStates.Thinking)
                : _deviceError || _intentError ? (LedState.Error, VoiceStates.Error)
                : (LedState.Idle, VoiceStates.Idle);
            _led?.Show(led);
        }

        if (status.VoiceState != state)
        {
            status.VoiceState = state;
            publisher.PublishSoon();
        }
    }

    private async Task PublishAsync(string topic, byte[] payload)
    {
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithContentType("application/json")
            .Build();
        try
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
            attempt.CancelAfter(MqttConnection.PublishTimeout);
            await connection.PublishAsync(message, attempt.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            log.LogDebug("voice: event on {Topic} not sent (no broker)", topic);
        }
    }
}
