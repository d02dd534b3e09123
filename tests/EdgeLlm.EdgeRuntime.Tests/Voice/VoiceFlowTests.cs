using System.Diagnostics;
using System.Globalization;
using EdgeLlm.Device.Audio;
using EdgeLlm.Device.Gpio;
using EdgeLlm.Device.Power;
using EdgeLlm.Device.Speech;
using EdgeLlm.EdgeRuntime.Power;
using EdgeLlm.EdgeRuntime.Service;
using EdgeLlm.EdgeRuntime.Tests.Infrastructure;
using EdgeLlm.EdgeRuntime.Voice;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeLlm.EdgeRuntime.Tests.Voice;

/// <summary>
/// The voice flow end to end: a button press on a fake GPIO driver (real debounce, real time) → espeak-ng speech from
/// a microphone stand-in → PocketSphinx through a grammar → the prompt queue → the reply on the embedded broker with
/// energy figures from a simulated INA219 in the 5 V line.
/// </summary>
public class VoiceFlowTests
{
    private const string Grammar = """
        #JSGF V1.0;
        grammar commands;
        public <command> = turn (on | off) the (kitchen | bedroom) light | what time is it;
        """;

    /// <summary>The board's draw in the simulation: constant, so energy must be this × the window's time.</summary>
    private const double BoardWatts = 4.8;

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(40);

    /// <summary>
    /// How long a short press holds the button: well above the 10 ms debounce, because on a loaded machine the
    /// debounce timer fires late and a press that is released before it settles is (rightly) no press at all; well
    /// below the 250 ms short-press time.
    /// </summary>
    private static readonly TimeSpan ShortPress = TimeSpan.FromMilliseconds(80);

    private string _folder = null!;
    private string _grammar = null!;
    private string _lightOff = null!;
    private string _whatTime = null!;

    [OneTimeSetUp]
    public void MakeSpeech()
    {
        _folder = Path.Combine(Path.GetTempPath(), $"edgellm-voice-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_folder);
        _grammar = Path.Combine(_folder, "commands.jsgf");
        File.WriteAllText(_grammar, Grammar);
        _lightOff = Say("turn off the kitchen light");
        _whatTime = Say("what time is it");
    }

    [OneTimeTearDown]
    public void Clean() => Directory.Delete(_folder, recursive: true);

    [Test]
    public async Task HoldToTalkIsTranscribedPromptedAndAnsweredWithMeasuredEnergy()
    {
        var engine = new ScriptedEngine { Default = new GenerationScript { Tokens = [.. Enumerable.Repeat(" off", 60)], DelayPerToken = TimeSpan.FromMilliseconds(10) } };
        await using var rig = await Rig.StartAsync(this, engine);
        var sensors = rig.Service.Services.GetRequiredService<PowerSensors>();
        await WaitUntilAsync(() => sensors.Idle!.IdleWatts is not null, "an idle power figure");

        rig.Hardware.Microphone.Say(_lightOff);
        rig.Hardware.Press();
        var listening = await rig.Client.WaitAsync(a => a.Any(r => r.Topic == rig.Topics.Voice && r.Type == "listening"), Wait, "listening");
        Assert.That(listening.First(r => r.Type == "listening").Id, Is.EqualTo("voice-1"));
        await rig.Hardware.Microphone.Spoken.WaitAsync(Wait);
        await Task.Delay(100);
        rig.Hardware.Release();

        var transcript = await rig.VoiceEventAsync("transcript");
        Assert.That(transcript.Text, Is.EqualTo("turn off the kitchen light"));
        Assert.That(transcript.Id, Is.EqualTo("voice-1"));
        Assert.That(transcript.Json.GetProperty("likelihood").GetDouble(), Is.InRange(0.5, 1.0));
        Assert.That(transcript.Json.GetProperty("seconds").GetDouble(), Is.InRange(1.0, 6.0), "the speech heard, trimmed");

        var done = await rig.Client.WaitFinalAsync("voice-1", Wait);
        Assert.That(done.Topic, Is.EqualTo(rig.Topics.VoiceReply(1)));
        Assert.That(done.Type, Is.EqualTo("done"), done.Json.GetRawText());
        Assert.That(engine.Generated, Is.EqualTo(new[] { "turn off the kitchen light" }), "the transcript is the prompt, through the same queue");

        // energy: a constant 4.8 W board, so the figures must agree with each other and with the generation's time
        int tokens = done.Int("completion_tokens");
        Assert.That(tokens, Is.EqualTo(60));
        double joules = Num(done, "energy_joules");
        double watts = Num(done, "average_watts");
        double seconds = tokens / Num(done, "tokens_per_second");
        Assert.That(done.Str("power_source"), Is.EqualTo("ina219"));
        Assert.That(watts, Is.EqualTo(BoardWatts).Within(0.5).Percent, "INA219 power register: 1.95 mW steps");
        Assert.That(joules / watts, Is.InRange(seconds - 0.02, seconds + 0.3), "joules = watts × the generation's wall time");
        Assert.That(Num(done, "joules_per_token"), Is.EqualTo(joules / tokens).Within(1e-9).Percent);
        Assert.That(Num(done, "idle_watts"), Is.EqualTo(BoardWatts).Within(0.5).Percent);
        Assert.That(Num(done, "energy_above_idle_joules"), Is.InRange(0, 0.02 * joules), "a constant draw costs nothing above idle");

        var hermes = (await rig.Client.WaitAsync(a => a.Any(r => r.Topic == Topics.HermesTextCaptured), Wait, "hermes")).First(r => r.Topic == Topics.HermesTextCaptured);
        Assert.That(hermes.Json.EnumerateObject().Select(p => p.Name), Is.EquivalentTo(new[] { "text", "likelihood", "seconds", "siteId", "sessionId" }));
        Assert.That(hermes.Text, Is.EqualTo("turn off the kitchen light"));
        Assert.That(hermes.Str("siteId"), Is.EqualTo("kitchen"));
        Assert.That(hermes.Str("sessionId"), Is.EqualTo("voice-1"));
        Assert.That(hermes.Json.GetProperty("likelihood").GetDouble(), Is.EqualTo(transcript.Json.GetProperty("likelihood").GetDouble()));
        Assert.That(hermes.Json.GetProperty("seconds").GetDouble(), Is.EqualTo(transcript.Json.GetProperty("decode_seconds").GetDouble()));

        var power = (await rig.Client.WaitAsync(a => a.Any(r => r.Topic == rig.Topics.Power), Wait, "power telemetry")).First(r => r.Topic == rig.Topics.Power);
        Assert.That(Num(power, "watts"), Is.EqualTo(BoardWatts).Within(0.5).Percent);
        Assert.That(Num(power, "volts"), Is.EqualTo(5.1).Within(0.004));
        Assert.That(Num(power, "amps"), Is.EqualTo(BoardWatts / 5.1).Within(0.5).Percent);
        Assert.That(power.Str("source"), Is.EqualTo("ina219"));
        Assert.That(DateTimeOffset.Parse(power.Str("timestamp"), CultureInfo.InvariantCulture), Is.EqualTo(DateTimeOffset.UtcNow).Within(TimeSpan.FromMinutes(1)));

        // the LED went listening → thinking → idle, and the status says so with the reply's energy per token
        await WaitUntilAsync(() => rig.Hardware.Led!.Shown[^1] == LedState.Idle, "the LED back to idle");
        Assert.That(rig.Hardware.Led!.Shown, Is.EqualTo(new[] { LedState.Idle, LedState.Listening, LedState.Thinking, LedState.Idle }));
        var status = await rig.Client.WaitAsync(a => a.Any(r => r.Topic == rig.Topics.Status && r.Json.TryGetProperty("last_joules_per_token", out var j)
            && j.ValueKind == System.Text.Json.JsonValueKind.Number && r.Str("voice_state") == "idle"), Wait, "status with energy per token");
        var last = status.Last(r => r.Topic == rig.Topics.Status);
        Assert.That(Num(last, "last_joules_per_token"), Is.EqualTo(Num(done, "joules_per_token")).Within(1e-6));
        Assert.That(last.Str("power_source"), Is.EqualTo("ina219"));

        var node = "edgellm_" + rig.Service.Options.DeviceId;
        var configs = await rig.Client.WaitAsync(a => a.Count(r => r.Topic.StartsWith($"homeassistant/sensor/{node}/", StringComparison.Ordinal)) >= 5, Wait, "discovery");
        var powerConfig = configs.First(r => r.Topic == $"homeassistant/sensor/{node}/power/config");
        Assert.That(powerConfig.Retain, Is.True);
        Assert.That(powerConfig.Str("unit_of_measurement"), Is.EqualTo("W"));
        Assert.That(powerConfig.Str("device_class"), Is.EqualTo("power"));
        Assert.That(powerConfig.Str("state_topic"), Is.EqualTo(rig.Topics.Power));
        var perToken = configs.First(r => r.Topic == $"homeassistant/sensor/{node}/energy_per_token/config");
        Assert.That(perToken.Str("unit_of_measurement"), Is.EqualTo("J"));
        Assert.That(perToken.Str("value_template"), Does.Contain("last_joules_per_token"));
        var voice = configs.First(r => r.Topic == $"homeassistant/sensor/{node}/voice_state/config");
        Assert.That(voice.Str("value_template"), Does.Contain("voice_state"));
    }

    [Test]
    public async Task AShortPressListensHandsFreeAndTheRealModelsReplyIsSpoken()
    {
        // espeak-ng stand-in: records its arguments and what it was given to say
        var script = Path.Combine(_folder, $"speak-{Guid.NewGuid():N}.sh");
        var said = script + ".text";
        File.WriteAllText(script, $"#!/bin/sh\nprintf '%s\\n' \"$@\" > '{script}.args'\ncat > '{said}.tmp'\nmv '{said}.tmp' '{said}'\n");
        if (OperatingSystem.IsWindows())
        {
            Assert.Fail("the voice flow targets Linux (a shell script stands in for espeak-ng)");
            return;
        }

        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        await using var rig = await Rig.StartAsync(this, engine: null, o => o with
        {
            DefaultMaxTokens = 40,
            Voice = o.Voice with { Speaker = "plughw:1,0", Espeak = script },
        });
        rig.Hardware.Microphone.Say(_whatTime);
        rig.Hardware.Press();
        await Task.Delay(ShortPress);
        rig.Hardware.Release();

        var transcript = await rig.VoiceEventAsync("transcript");
        Assert.That(transcript.Text, Is.EqualTo("what time is it"));
        Assert.That(rig.Hardware.Microphone.Captures, Is.EqualTo(2), "the hold capture was dropped for a hands-free one");
        var done = await rig.Client.WaitFinalAsync("voice-1", Wait);
        Assert.That(done.Type, Is.EqualTo("done"), done.Json.GetRawText());
        Assert.That(done.Text.Trim(), Is.Not.Empty, "the bundled model answered");
        Assert.That(done.Int("completion_tokens"), Is.InRange(1, 40));

        await WaitUntilAsync(() => File.Exists(said), "the reply spoken");
        Assert.That(File.ReadAllLines(script + ".args"), Is.EqualTo(new[] { "-d", "plughw:1,0", "--stdin" }));
        Assert.That(File.ReadAllText(said), Is.EqualTo(done.Text.Trim()));
    }

    [Test]
    public async Task SilenceGivesAVoiceErrorAndNoPrompt()
    {
        var engine = new ScriptedEngine();
        await using var rig = await Rig.StartAsync(this, engine);
        rig.Hardware.Microphone.Say(new short[16_000]);

        // hold to talk over silence
        rig.Hardware.Press();
        await Task.Delay(400);
        rig.Hardware.Release();
        var error = await rig.VoiceEventAsync("error");
        Assert.That(error.Id, Is.EqualTo("voice-1"));
        Assert.That(error.Str("message"), Is.EqualTo("no speech heard"));

        // a short press, then nothing within StartTimeoutSeconds
        rig.Hardware.Press();
        await Task.Delay(ShortPress);
        rig.Hardware.Release();
        var all = await rig.Client.WaitAsync(a => a.Count(r => r.Topic == rig.Topics.Voice && r.Type == "error") == 2, Wait, "the second error");
        var second = all.Last(r => r.Topic == rig.Topics.Voice && r.Type == "error");
        Assert.That(second.Id, Is.EqualTo("voice-2"));
        Assert.That(second.Str("message"), Is.EqualTo("no speech heard within 2 s"));

        await Task.Delay(500);
        Assert.That(engine.Generated, Is.Empty, "no prompt");
        Assert.That(rig.Client.All.Where(r => r.Topic.StartsWith(rig.Topics.DefaultReply(""), StringComparison.Ordinal)), Is.Empty, "no reply");
        Assert.That(rig.Client.All.Where(r => r.Type == "transcript"), Is.Empty);
        Assert.That(rig.Hardware.Led!.State, Is.EqualTo(LedState.Idle));
    }

    [Test]
    public async Task ALongHoldCancelsTheRunningVoiceReply()
    {
        var engine = new ScriptedEngine { Default = new GenerationScript { Tokens = [.. Enumerable.Repeat(" la", 1000)], DelayPerToken = TimeSpan.FromMilliseconds(10) } };
        await using var rig = await Rig.StartAsync(this, engine, o => o with { DefaultMaxTokens = 1000 });
        rig.Hardware.Microphone.Say(_lightOff);
        rig.Hardware.Press();
        await rig.Hardware.Microphone.Spoken.WaitAsync(Wait);
        rig.Hardware.Release();
        await rig.Client.WaitAsync(a => a.Any(r => r.Id == "voice-1" && r.Type == "token"), Wait, "voice-1 generating");

        // hold: listening for voice-2 at first, then the long hold turns the press into "stop"
        rig.Hardware.Microphone.Say(_whatTime);
        rig.Hardware.Press();
        var done = await rig.Client.WaitFinalAsync("voice-1", Wait);
        Assert.That(done.Str("finish_reason"), Is.EqualTo("cancelled"));
        var cancelled = await rig.VoiceEventAsync("cancelled");
        Assert.That(cancelled.Json.GetProperty("ids").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "voice-1" }));
        rig.Hardware.Release();

        await Task.Delay(1500);
        Assert.That(engine.Generated, Is.EqualTo(new[] { "turn off the kitchen light" }), "what was said during the long hold is dropped");
        Assert.That(rig.Client.All.Where(r => r.Type == "transcript").Select(r => r.Id), Is.EqualTo(new[] { "voice-1" }));
        Assert.That(rig.Client.All.Where(r => r.Id == "voice-2" && r.Topic != rig.Topics.Voice), Is.Empty);
        var shown = rig.Hardware.Led!.Shown;
        Assert.That(shown[^1], Is.EqualTo(LedState.Idle));
        Assert.That(shown.Take(4), Is.EqualTo(new[] { LedState.Idle, LedState.Listening, LedState.Thinking, LedState.Listening }), "listening again for the second press");
        Assert.That(shown.Skip(4), Has.No.Member(LedState.Listening), string.Join(", ", shown));
    }

    [Test]
    public async Task AFailingMicrophoneIsAVoiceErrorAndMqttPromptsGoOn()
    {
        await using var rig = await Rig.StartAsync(this, new ScriptedEngine());
        rig.Hardware.Microphone.Failure = new AudioSourceException("device plughw:1,0 is busy: another program is recording");
        rig.Hardware.Press();
        var error = await rig.VoiceEventAsync("error");
        Assert.That(error.Str("message"), Is.EqualTo("microphone: device plughw:1,0 is busy: another program is recording"));
        rig.Hardware.Release();
        await WaitUntilAsync(() => rig.Hardware.Led!.State == LedState.Error, "the LED's error blink");
        await rig.Client.WaitAsync(a => a.Any(r => r.Topic == rig.Topics.Status && r.Json.TryGetProperty("voice_state", out var v) && v.GetString() == "error"), Wait, "status voice_state error");

        await rig.Client.SubscribeAsync("m/replies");
        await rig.Client.PublishAsync(rig.Topics.Prompt, Json.Prompt("m1", "still there?"), "m/replies");
        Assert.That((await rig.Client.WaitFinalAsync("m1", Wait)).Type, Is.EqualTo("done"));
    }

    [Test]
    public async Task AButtonThatCannotBeOpenedLeavesTheServiceAnswering()
    {
        var failure = new GpioDeviceException("no permission to open /dev/gpiochip0 (GPIO line 17): add the user to the gpio group");
        await using var rig = await Rig.StartAsync(this, new ScriptedEngine(), buttonFailure: failure);
        await rig.Client.WaitAsync(a => a.Any(r => r.Topic == rig.Topics.Status && r.Json.TryGetProperty("voice_state", out var v) && v.GetString() == "error"), Wait, "status voice_state error");
        await rig.Client.SubscribeAsync("m/replies");
        await rig.Client.PublishAsync(rig.Topics.Prompt, Json.Prompt("m1", "hello"), "m/replies");
        Assert.That((await rig.Client.WaitFinalAsync("m1", Wait)).Type, Is.EqualTo("done"));
    }

    [Test]
    public async Task ASpeechEngineThatCannotLoadLeavesTheServiceAnswering()
    {
        var missing = Path.Combine(_folder, "missing.jsgf");
        await using var rig = await Rig.StartAsync(this, new ScriptedEngine(), o => o with { Speech = new SpeechOptions { Grammar = missing } });
        await rig.Client.WaitAsync(a => a.Any(r => r.Topic == rig.Topics.Status && r.Json.TryGetProperty("voice_state", out var v) && v.GetString() == "error"), Wait, "status voice_state error");
        rig.Hardware.Press();
        rig.Hardware.Release();
        await rig.Client.SubscribeAsync("m/replies");
        await rig.Client.PublishAsync(rig.Topics.Prompt, Json.Prompt("m1", "hello"), "m/replies");
        Assert.That((await rig.Client.WaitFinalAsync("m1", Wait)).Type, Is.EqualTo("done"));
        Assert.That(rig.Client.All.Where(r => r.Topic == rig.Topics.Voice && r.Type == "listening"), Is.Empty, "the button is let go with the flow");
    }

    private static double Num(Received r, string name) => r.Json.GetProperty(name).GetDouble();

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.That(sw.Elapsed, Is.LessThan(Wait), $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }

    private string Say(string text)
    {
        var wav = Path.Combine(_folder, $"{Guid.NewGuid():N}.wav");
        var psi = new ProcessStartInfo("espeak-ng") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-s", "140", "-w", wav, text })
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.Zero, err);
        return wav;
    }

    /// <summary>A service with the voice flow on the test hardware and a simulated INA219, and a client watching it.</summary>
    private sealed class Rig : IAsyncDisposable
    {
        public required InProcessService Service { get; init; }

        public required TestVoiceHardware Hardware { get; init; }

        public required TestClient Client { get; init; }

        public Topics Topics => Service.Topics;

        public static async Task<Rig> StartAsync(VoiceFlowTests t, IInferenceEngine? engine, Func<ServiceOptions, ServiceOptions>? tweak = null,
            GpioDeviceException? buttonFailure = null)
        {
            var hardware = new TestVoiceHardware { ButtonFailure = buttonFailure };
            var ina = new SimulatedIna219(() => BoardWatts);
            var options = InProcessService.Defaults() with
            {
                Gpio = hardware.Gpio,
                Audio = new AudioOptions { SilenceMs = 500, StartTimeoutSeconds = 2 },
                Speech = new SpeechOptions { Grammar = t._grammar },
                Voice = new VoiceOptions { Enabled = true, Hermes = true, SiteId = "kitchen" },
                Power = new PowerOptions { Source = "ina219", PublishIntervalSeconds = 1 },
            };
            options = tweak?.Invoke(options) ?? options;
            hardware.Speech = options.Speech;
            var service = await InProcessService.StartAsync(options, engine: engine, configure: s =>
            {
                s.AddSingleton<IVoiceHardware>(hardware);
                s.AddSingleton(new PowerPlatform { I2c = new SimulatedI2cBus(ina) });
            });
            var ready = await service.Services.GetRequiredService<VoiceCommandService>().Ready.WaitAsync(Wait);
            Assert.That(ready, Is.EqualTo(buttonFailure is null && File.Exists(options.Speech.Grammar)), "the voice flow watches the button");
            var client = await TestClient.ConnectAsync(service.Endpoint);
            foreach (var topic in new[] { service.Topics.Voice, service.Topics.DefaultReply("#"), Topics.HermesTextCaptured, service.Topics.Power, service.Topics.Status, "homeassistant/sensor/#" })
            {
                await client.SubscribeAsync(topic);
            }

            return new Rig { Service = service, Hardware = hardware, Client = client };
        }

        public async Task<Received> VoiceEventAsync(string type)
        {
            var all = await Client.WaitAsync(a => a.Any(r => r.Topic == Topics.Voice && r.Type == type), Wait, $"voice {type}");
            return all.First(r => r.Topic == Topics.Voice && r.Type == type);
        }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Service.DisposeAsync();
            Hardware.Dispose();
        }
    }
}
