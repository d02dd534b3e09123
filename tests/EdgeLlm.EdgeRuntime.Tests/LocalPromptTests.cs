using EdgeLlm.EdgeRuntime.Service;
using EdgeLlm.EdgeRuntime.Tests.Infrastructure;
using EdgeLlm.Kernels.Generation;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeLlm.EdgeRuntime.Tests;

/// <summary>Prompts from a source other than MQTT (voice), and the energy seam of the done reply.</summary>
public class LocalPromptTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Test]
    public async Task ALocalPromptIsAnsweredOnTheVoiceReplyTopicThroughTheSameQueue()
    {
        await using var service = await InProcessService.StartAsync(InProcessService.Defaults());
        await using var client = await TestClient.ConnectAsync(service.Endpoint);
        var topic = service.Topics.VoiceReply(1);
        Assert.That(topic, Is.EqualTo($"edgellm/{service.Options.DeviceId}/reply/voice-1"));
        await client.SubscribeAsync(topic);
        await client.SubscribeAsync("m/replies");

        // an MQTT prompt and a local one share the queue and the worker
        await client.PublishAsync(service.Topics.Prompt, Json.Prompt("m1", "Once upon a time", maxTokens: 40), "m/replies");
        var request = service.Gateway.LocalRequest(Topics.VoiceRequestId(1), "Lily went to the park") with { MaxTokens = 30, Sampling = new SamplingOptions { Temperature = 0 } };
        var outcome = await service.Gateway.SubmitLocalAsync(request, topic).WaitAsync(Wait);

        Assert.That(outcome.Done, Is.True, outcome.Text);
        Assert.That(outcome.Id, Is.EqualTo("voice-1"));
        Assert.That(outcome.Text, Is.Not.Empty);
        var done = await client.WaitFinalAsync("voice-1", Wait);
        Assert.That(done.Topic, Is.EqualTo(topic));
        Assert.That(done.Text, Is.EqualTo(outcome.Text), "the published reply is the one returned");
        Assert.That(done.Str("finish_reason"), Is.EqualTo(outcome.FinishReason));
        var streamed = string.Concat(client.All.Where(r => r.Id == "voice-1" && r.Type == "token").OrderBy(r => r.Int("seq")).Select(r => r.Text));
        Assert.That(streamed, Is.EqualTo(outcome.Text), "streamed in chunks like any other reply");
        Assert.That((await client.WaitFinalAsync("m1", Wait)).Type, Is.EqualTo("done"));
    }

    [Test]
    public async Task ALocalPromptGetsBusyWhenTheQueueIsFullAndCanBeCancelled()
    {
        var engine = new ScriptedEngine { Default = new GenerationScript { Tokens = [.. Enumerable.Repeat(" la", 500)], DelayPerToken = TimeSpan.FromMilliseconds(5) } };
        engine.Script("stuck", new GenerationScript { StallAt = 1 });
        await using var service = await InProcessService.StartAsync(InProcessService.Defaults() with { QueueLength = 1 }, engine: engine);
        await using var client = await TestClient.ConnectAsync(service.Endpoint);
        await client.SubscribeAsync($"edgellm/{service.Options.DeviceId}/reply/#");

        var running = service.Gateway.SubmitLocalAsync(service.Gateway.LocalRequest("voice-1", "stuck"), service.Topics.VoiceReply(1));
        Assert.That(await engine.WaitStalledAsync(Wait), Is.True);
        var waiting = service.Gateway.SubmitLocalAsync(service.Gateway.LocalRequest("voice-2", "waits") with { MaxTokens = 500 }, service.Topics.VoiceReply(2));
        await WaitUntilAsync(() => service.Queue.Depth == 1);

        // the deliberate limit: one waiting behind the running one
        var refused = await service.Gateway.SubmitLocalAsync(service.Gateway.LocalRequest("voice-3", "refused"), service.Topics.VoiceReply(3)).WaitAsync(Wait);
        Assert.That(refused.Done, Is.False);
        Assert.That(refused.ErrorCode, Is.EqualTo("busy"));
        var busy = await client.WaitFinalAsync("voice-3", Wait);
        Assert.That(busy.Topic, Is.EqualTo(service.Topics.VoiceReply(3)));
        Assert.That(busy.Str("code"), Is.EqualTo("busy"));

        engine.ReleaseStall();
        Assert.That((await running.WaitAsync(Wait)).Done, Is.True);
        await client.WaitAsync(a => a.Any(r => r.Id == "voice-2" && r.Type == "token"), Wait, "voice-2 running");
        Assert.That(service.Gateway.Cancel("voice-2"), Is.EqualTo(1));
        var cancelled = await waiting.WaitAsync(Wait);
        Assert.That(cancelled.FinishReason, Is.EqualTo("cancelled"));
        Assert.That(engine.Generated, Is.EqualTo(new[] { "stuck", "waits" }));
    }

    [Test]
    public async Task StoppingTheServiceEndsEveryLocalPrompt()
    {
        var engine = new ScriptedEngine { Default = new GenerationScript { Tokens = [.. Enumerable.Repeat(" la", 2000)], DelayPerToken = TimeSpan.FromMilliseconds(5) } };
        await using var service = await InProcessService.StartAsync(InProcessService.Defaults(), engine: engine);
        var running = service.Gateway.SubmitLocalAsync(service.Gateway.LocalRequest("voice-1", "long") with { MaxTokens = 2000 }, service.Topics.VoiceReply(1));
        await WaitUntilAsync(() => service.Queue.Running);
        var waiting = service.Gateway.SubmitLocalAsync(service.Gateway.LocalRequest("voice-2", "next"), service.Topics.VoiceReply(2));
        await WaitUntilAsync(() => service.Queue.Depth == 1);

        await service.StopAsync();
        var first = await running.WaitAsync(Wait);
        var second = await waiting.WaitAsync(Wait);
        Assert.That(first.FinishReason, Is.EqualTo("cancelled"), "the running one ends cancelled, as an MQTT prompt does");
        Assert.That(second.ErrorCode, Is.EqualTo("busy"));
        Assert.That(second.Text, Is.EqualTo("the service stopped before this prompt ran"));
        Assert.That(engine.Generated, Is.EqualTo(new[] { "long" }));
    }

    [Test]
    public void ALocalPromptNeedsAPublishableReplyTopic()
    {
        var options = InProcessService.Defaults();
        using var host = ServiceHost.Build(options, new ScriptedEngine());
        var gateway = host.Services.GetRequiredService<PromptGateway>();
        var e = Assert.ThrowsAsync<ArgumentException>(() => gateway.SubmitLocalAsync(gateway.LocalRequest("v", "x"), "edgellm/+/reply"));
        Assert.That(e!.Message, Does.StartWith("'edgellm/+/reply' is not a topic a reply can be published to"));
    }

    [Test]
    public async Task TheEnergyMeterFillsTheDoneReply()
    {
        var meter = new FixedEnergyMeter();
        var engine = new ScriptedEngine();
        await using var service = await InProcessService.StartAsync(InProcessService.Defaults(), engine: engine,
            configure: s => s.AddSingleton<IEnergyMeter>(meter));
        await using var client = await TestClient.ConnectAsync(service.Endpoint);
        await client.SubscribeAsync("e/replies");

        await client.PublishAsync(service.Topics.Prompt, Json.Prompt("e1", "measure me"), "e/replies");
        var done = await client.WaitFinalAsync("e1", Wait);
        Assert.That(done.Type, Is.EqualTo("done"));
        Assert.That(meter.Started, Is.EqualTo(new[] { "e1" }));
        Assert.That(meter.StoppedTokens, Is.EqualTo(new[] { 4 }), "stopped with the generation's statistics");
        Assert.That(done.Json.GetProperty("energy_joules").GetDouble(), Is.EqualTo(2.0));
        Assert.That(done.Json.GetProperty("joules_per_token").GetDouble(), Is.EqualTo(0.5));
        Assert.That(done.Json.GetProperty("average_watts").GetDouble(), Is.EqualTo(4.25));
        Assert.That(done.Json.GetProperty("idle_watts").GetDouble(), Is.EqualTo(2.5));
        Assert.That(done.Json.GetProperty("energy_above_idle_joules").GetDouble(), Is.EqualTo(0.75));
        Assert.That(done.Str("power_source"), Is.EqualTo("test-meter"));
    }

    [Test]
    public async Task WithoutAMeterTheEnergyFieldsAreNull()
    {
        // a chosen power source that is absent (no I2C bus here): one warning, and no energy meter
        var options = InProcessService.Defaults() with { Power = new EdgeLlm.Device.Power.PowerOptions { Source = "ina219", I2cBus = 250 } };
        await using var service = await InProcessService.StartAsync(options, engine: new ScriptedEngine());
        Assert.That(service.Services.GetRequiredService<IEnergyMeter>(), Is.SameAs(NoEnergyMeter.Instance));
        await using var client = await TestClient.ConnectAsync(service.Endpoint);
        await client.SubscribeAsync("n/replies");
        await client.PublishAsync(service.Topics.Prompt, Json.Prompt("n1", "x"), "n/replies");
        var done = await client.WaitFinalAsync("n1", Wait);
        foreach (var field in new[] { "energy_joules", "joules_per_token", "average_watts", "idle_watts", "energy_above_idle_joules", "power_source" })
        {
            Assert.That(done.Json.GetProperty(field).ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null), field);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "timed out");
            await Task.Delay(20);
        }
    }

    /// <summary>A meter with fixed figures; records what the worker told it.</summary>
    private sealed class FixedEnergyMeter : IEnergyMeter, IEnergyMeasurement
    {
        public List<string> Started { get; } = [];

        public List<int> StoppedTokens { get; } = [];

        public IEnergyMeasurement Start(PromptRequest request)
        {
            Started.Add(request.Id);
            return this;
        }

        public EnergyReport Stop(GenerationStats stats)
        {
            StoppedTokens.Add(stats.CompletionTokens);
            return new EnergyReport(2.0, 2.0 / stats.CompletionTokens, 4.25, 2.5, 0.75, "test-meter");
        }
    }
}
