using System.Diagnostics;
using System.Text.Json;
using EdgeLlm.Device.Audio;
using EdgeLlm.Device.Gpio;
using EdgeLlm.Device.Speech;
using EdgeLlm.EdgeRuntime.Service;
using EdgeLlm.EdgeRuntime.Tests.Infrastructure;
using EdgeLlm.EdgeRuntime.Voice;
using EdgeLlm.Kernels.Grammar;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeLlm.EdgeRuntime.Tests.Voice;

/// <summary>
/// Voice → actions end to end (docs/voice.md, "Voice → actions"): espeak-ng speech of a command → PocketSphinx through
/// a JSGF grammar → the intent handler → the action's payload on its topic and the action reply on the voice reply
/// topic, on the embedded broker. The demo model does not understand commands, but the grammar lets it produce only a
/// valid call: with one action whose only argument has one allowed value, that call is fully determined.
/// </summary>
public class VoiceActionTests
{
    private const string Grammar = """
        #JSGF V1.0;
        grammar commands;
        public <command> = turn (on | off) the (kitchen | bedroom) light | what time is it;
        """;

    /// <summary>One action, one argument, one allowed value: the constrained call can only be this one.</summary>
    private const string OneAction = """
        [{"name": "kitchen_light", "description": "Turn the kitchen light on.",
          "arguments": {"type": "object", "properties": {"state": {"enum": ["ON"]}}, "required": ["state"], "additionalProperties": false},
          "topic": "home/kitchen/light/set",
          "payload": {"state": "{{arguments.state}}"},
          "examples": [{"text": "turn on the kitchen light", "arguments": {"state": "ON"}}]}]
        """;

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private string _folder = null!;
    private string _grammar = null!;
    private string _lightOn = null!;
    private string _lightOff = null!;

    [OneTimeSetUp]
    public void MakeSpeech()
    {
        _folder = Path.Combine(Path.GetTempPath(), $"edgellm-voice-actions-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_folder);
        _grammar = Path.Combine(_folder, "commands.jsgf");
        File.WriteAllText(_grammar, Grammar);
        _lightOn = Say("turn on the kitchen light");
        _lightOff = Say("turn off the kitchen light");
    }

    [OneTimeTearDown]
    public void Clean() => Directory.Delete(_folder, recursive: true);

    [Test]
    public async Task ASpokenCommandPublishesTheOnlyPossibleActionAndSaysSo()
    {
        var (speaker, said) = SpeakerStandIn();
        await using var rig = await Rig.StartAsync(this, OneAction, engine: null, speaker);

        rig.Hardware.Microphone.Say(_lightOn);
        rig.Hardware.Press();
        await rig.Hardware.Microphone.Spoken.WaitAsync(Wait);
        await Task.Delay(100);
        rig.Hardware.Release();

        var transcript = await rig.FirstAsync(r => r.Topic == rig.Topics.Voice && r.Type == "transcript", "the transcript");
        Assert.That(transcript.Text, Is.EqualTo("turn on the kitchen light"));

        // the action's payload, exactly, on its topic
        var light = await rig.FirstAsync(r => r.Topic == "home/kitchen/light/set", "the published action");
        Assert.That(light.Json.GetRawText(), Is.EqualTo("{\"state\":\"ON\"}"));

        // the intent reply shape on the voice reply topic, not a prompt's reply
        var reply = await rig.FirstAsync(r => r.Topic == rig.Topics.VoiceReply(1), "the voice reply");
        Assert.That(reply.Json.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "id", "type", "name", "arguments", "topic", "payload", "published" }));
        Assert.That(reply.Id, Is.EqualTo("voice-1"));
        Assert.That(reply.Type, Is.EqualTo("action"), reply.Json.GetRawText());
        Assert.That(reply.Str("name"), Is.EqualTo("kitchen_light"));
        Assert.That(reply.Json.GetProperty("arguments").GetRawText(), Is.EqualTo("{\"state\":\"ON\"}"));
        Assert.That(reply.Str("topic"), Is.EqualTo("home/kitchen/light/set"));
        Assert.That(reply.Str("payload"), Is.EqualTo("{\"state\":\"ON\"}"));
        Assert.That(reply.Json.GetProperty("published").GetBoolean(), Is.True);

        await WaitUntilAsync(() => File.Exists(said), "the confirmation spoken");
        Assert.That(File.ReadAllText(said), Is.EqualTo("kitchen light, state ON: done"));
        await WaitUntilAsync(() => rig.Hardware.Led!.Shown[^1] == LedState.Idle, "the LED back to idle");
        Assert.That(rig.Hardware.Led!.Shown, Is.EqualTo(new[] { LedState.Idle, LedState.Listening, LedState.Thinking, LedState.Idle }));
        await rig.Client.WaitAsync(a => a.Any(r => r.Topic == rig.Topics.Status && r.Json.TryGetProperty("voice_state", out var v) && v.GetString() == "idle"
            && r.At >= reply.At), Wait, "status voice_state idle after the action");

        await Task.Delay(500);
        Assert.That(rig.Client.All.Count(r => r.Topic.StartsWith("home/", StringComparison.Ordinal)), Is.EqualTo(1), "one command, one action");
        Assert.That(rig.Client.All.Count(r => r.Topic == rig.Topics.VoiceReply(1)), Is.EqualTo(1), "one reply, no streamed prompt tokens");
    }

    [Test]
    public async Task WithTwoActionsTheSpokenCommandPublishesAValidCallOfOne()
    {
        await using var rig = await Rig.StartAsync(this, ActionTests.HomeAssistantActions, engine: null);
        var registry = rig.Service.Options.Actions!;

        rig.Hardware.Microphone.Say(_lightOff);
        rig.Hardware.Press();
        await rig.Hardware.Microphone.Spoken.WaitAsync(Wait);
        await Task.Delay(100);
        rig.Hardware.Release();

        var reply = await rig.FirstAsync(r => r.Topic == rig.Topics.VoiceReply(1), "the voice reply");
        Assert.That(reply.Type, Is.EqualTo("action"), reply.Json.GetRawText());
        var action = registry.Find(reply.Str("name"));
        Assert.That(action, Is.Not.Null, "only configured actions");
        var args = reply.Json.GetProperty("arguments");
        Assert.That(CompiledGrammar.FromJsonSchema(action!.Arguments).Matches(args.GetRawText()), Is.True, "arguments satisfy the action's schema");
        Assert.That(reply.Json.GetProperty("published").GetBoolean(), Is.True);

        var published = await rig.FirstAsync(r => r.Topic.StartsWith("home/", StringComparison.Ordinal), "the published action");
        Assert.That(published.Topic, Is.EqualTo(action.Topic));
        string payload = ActionRegistry.Render(action, args);
        Assert.That(reply.Str("payload"), Is.EqualTo(payload));
        string expected = action.Name == "fan_switch" ? JsonSerializer.Serialize(payload) : payload; // the fan's plain "ON" arrives as a JSON string
        Assert.That(published.Json.GetRawText(), Is.EqualTo(expected));
        await Task.Delay(500);
        Assert.That(rig.Client.All.Count(r => r.Topic.StartsWith("home/", StringComparison.Ordinal)), Is.EqualTo(1));
    }

    [Test]
    public async Task NoValidCallOrNoSpeechIsAnErrorAndNothingIsPublished()
    {
        // The engine is scripted to do what the grammar makes impossible: the service's own check must hold.
        var engine = new ScriptedEngine(contextLength: 8192)
        {
            Default = new GenerationScript { Tokens = ["{\"action\": \"heater\", ", "\"arguments\": {\"state\": \"ON\"}}"] },
        };
        var (speaker, said) = SpeakerStandIn();
        await using var rig = await Rig.StartAsync(this, ActionTests.HomeAssistantActions, engine, speaker);

        // silence: a voice error, no intent at all
        rig.Hardware.Microphone.Say(new short[16_000]);
        rig.Hardware.Press();
        await Task.Delay(400);
        rig.Hardware.Release();
        var silence = await rig.FirstAsync(r => r.Topic == rig.Topics.Voice && r.Type == "error", "the voice error");
        Assert.That(silence.Str("message"), Is.EqualTo("no speech heard"));
        Assert.That(engine.Generated, Is.Empty, "no intent for no speech");

        // a command the model answers with a call outside the registry
        rig.Hardware.Microphone.Say(_lightOn);
        rig.Hardware.Press();
        await rig.Hardware.Microphone.Spoken.WaitAsync(Wait);
        await Task.Delay(100);
        rig.Hardware.Release();
        var reply = await rig.FirstAsync(r => r.Topic == rig.Topics.VoiceReply(2), "the voice reply");
        Assert.That(reply.Id, Is.EqualTo("voice-2"));
        Assert.That(reply.Type, Is.EqualTo("error"), reply.Json.GetRawText());
        Assert.That(reply.Str("code"), Is.EqualTo("internal"));
        Assert.That(reply.Str("message"), Does.Contain("'heater'").And.Contain("not a configured action"));
        Assert.That(engine.Generated, Has.Count.EqualTo(1));
        Assert.That(engine.Generated[0], Does.Contain("turn on the kitchen light"), "the registry's prompt around the transcript");

        await WaitUntilAsync(() => File.Exists(said), "the error spoken");
        Assert.That(File.ReadAllText(said), Is.EqualTo("sorry, " + reply.Str("message")));
        await WaitUntilAsync(() => rig.Hardware.Led!.State == LedState.Error, "the LED's error blink");
        Assert.That(rig.Hardware.Led!.Shown.TakeLast(2), Is.EqualTo(new[] { LedState.Thinking, LedState.Error }));
        await rig.Client.WaitAsync(a => a.Any(r => r.Topic == rig.Topics.Status && r.Json.TryGetProperty("voice_state", out var v) && v.GetString() == "error"), Wait, "status voice_state error");

        await Task.Delay(500);
        Assert.That(rig.Client.All.Any(r => r.Topic.StartsWith("home/", StringComparison.Ordinal)), Is.False, "nothing reached an action topic");
    }

    [Test]
    public async Task ALongHoldCancelsTheCallAndPublishesNothing()
    {
        var engine = new ScriptedEngine(contextLength: 8192)
        {
            Default = new GenerationScript { Tokens = [.. Enumerable.Repeat(" la", 1000)], DelayPerToken = TimeSpan.FromMilliseconds(20) },
        };
        var (speaker, said) = SpeakerStandIn();
        await using var rig = await Rig.StartAsync(this, ActionTests.HomeAssistantActions, engine, speaker);
        rig.Hardware.Microphone.Say(_lightOn);
        rig.Hardware.Press();
        await rig.Hardware.Microphone.Spoken.WaitAsync(Wait);
        rig.Hardware.Release();
        await WaitUntilAsync(() => engine.Generated.Count == 1, "the call generating");

        // a long hold while the call is generated is "stop"
        rig.Hardware.Press();
        var cancelled = await rig.FirstAsync(r => r.Topic == rig.Topics.Voice && r.Type == "cancelled", "the cancel event");
        Assert.That(cancelled.Json.GetProperty("ids").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "voice-1" }));
        rig.Hardware.Release();
        var reply = await rig.FirstAsync(r => r.Topic == rig.Topics.VoiceReply(1), "the voice reply");
        Assert.That(reply.Type, Is.EqualTo("error"), reply.Json.GetRawText());
        Assert.That(reply.Str("message"), Does.Contain("cancelled").And.Contain("nothing published"));

        await WaitUntilAsync(() => rig.Hardware.Led!.State == LedState.Idle, "the LED dark");
        await Task.Delay(1000);
        Assert.That(rig.Hardware.Led!.State, Is.EqualTo(LedState.Idle), "a cancel is no error to blink about");
        Assert.That(File.Exists(said), Is.False, "nothing spoken for a cancel");
        Assert.That(rig.Client.All.Any(r => r.Topic.StartsWith("home/", StringComparison.Ordinal)), Is.False, "nothing reached an action topic");
    }

    [Test]
    public void TheConfirmationSaysWhatWasCarriedOut()
    {
        using var args = JsonDocument.Parse("{\"state\":\"ON\",\"brightness\":128}");
        var done = new IntentResult { Id = "voice-1", Name = "light_set", Arguments = args.RootElement.Clone(), Topic = "a/b", Payload = "x", Published = true };
        Assert.That(VoiceCommandService.Confirmation(done), Is.EqualTo("light set, state ON, brightness 128: done"));
        Assert.That(VoiceCommandService.Confirmation(IntentResult.Error("voice-2", ErrorCodes.Busy, "the queue is full")), Is.EqualTo("sorry, the queue is full"));
    }

    /// <summary>An espeak-ng stand-in that keeps what it was given to say.</summary>
    private (string Script, string Said) SpeakerStandIn()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Fail("the voice flow targets Linux (a shell script stands in for espeak-ng)");
            return ("", "");
        }

        var script = Path.Combine(_folder, $"speak-{Guid.NewGuid():N}.sh");
        var said = script + ".text";
        File.WriteAllText(script, $"#!/bin/sh\ncat > '{said}.tmp'\nmv '{said}.tmp' '{said}'\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return (script, said);
    }

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

    /// <summary>A service with actions and the voice flow on the test hardware, and a client watching it.</summary>
    private sealed class Rig : IAsyncDisposable
    {
        public required InProcessService Service { get; init; }

        public required TestVoiceHardware Hardware { get; init; }

        public required TestClient Client { get; init; }

        public Topics Topics => Service.Topics;

        public static async Task<Rig> StartAsync(VoiceActionTests t, string actions, IInferenceEngine? engine, string? speaker = null)
        {
            var hardware = new TestVoiceHardware();
            var options = InProcessService.Defaults() with
            {
                Gpio = hardware.Gpio,
                Audio = new AudioOptions { SilenceMs = 500, StartTimeoutSeconds = 2 },
                Speech = new SpeechOptions { Grammar = t._grammar },
                Voice = new VoiceOptions { Enabled = true, Speaker = speaker is null ? "" : "default", Espeak = speaker ?? "espeak-ng" },
                Actions = ActionRegistry.Parse(actions),
            };
            hardware.Speech = options.Speech;
            var service = await InProcessService.StartAsync(options, engine: engine, configure: s => s.AddSingleton<IVoiceHardware>(hardware));
            Assert.That(await service.Services.GetRequiredService<VoiceCommandService>().Ready.WaitAsync(Wait), Is.True, "the voice flow watches the button");
            var client = await TestClient.ConnectAsync(service.Endpoint);
            foreach (var topic in new[] { service.Topics.Voice, service.Topics.DefaultReply("#"), service.Topics.Status, "home/#" })
            {
                await client.SubscribeAsync(topic);
            }

            return new Rig { Service = service, Hardware = hardware, Client = client };
        }

        public async Task<Received> FirstAsync(Func<Received, bool> match, string what) =>
            (await Client.WaitAsync(a => a.Any(match), Wait, what)).First(match);

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Service.DisposeAsync();
            Hardware.Dispose();
        }
    }
}
