using EdgeLlm.EdgeRuntime.Tests.Infrastructure;

namespace EdgeLlm.EdgeRuntime.Tests;

/// <summary>No prompt is lost when the broker dies, when the service is killed, or when it stops.</summary>
public class FaultTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Test]
    public async Task BrokerKilledAndRestartedMidStream()
    {
        using var broker = await Mosquitto.StartAsync();
        // a model still generating while the broker is away (the demo model finishes its context in under a second)
        await using var service = await InProcessService.StartAsync(InProcessService.Defaults(broker.Endpoint) with { ModelPath = TestEnvironment.SlowModelPath });
        await using var client = await TestClient.ConnectAsync(broker.Endpoint, persistent: true);
        await client.SubscribeAsync("k/replies");

        // a long greedy story: the whole context
        await client.PublishAsync(service.Topics.Prompt, Json.Prompt("k1", "Once upon a time", maxTokens: 1000), "k/replies");
        await client.WaitAsync(a => a.Any(r => r.Id == "k1" && r.Type == "token"), Wait, "the first token");
        broker.Kill();
        await Task.Delay(300);
        await broker.RestartAsync();
        await client.ReconnectAsync(TimeSpan.FromSeconds(20));

        var done = await client.WaitFinalAsync("k1", Wait);
        Assert.That(done.Type, Is.EqualTo("done"), done.Json.GetRawText());
        Assert.That(done.Int("completion_tokens"), Is.GreaterThan(0));

        // text generated while the broker was away went out coalesced, in order (a chunk may repeat: QoS 1)
        var seqs = client.All.Where(r => r.Id == "k1" && r.Type == "token").Select(r => r.Int("seq")).ToList();
        Assert.That(seqs, Is.Ordered, "chunks in seq order");
        Assert.That(seqs.Distinct().Count(), Is.LessThan(done.Int("completion_tokens")), "fewer chunks than tokens: coalesced");

        // answered once (the copy the broker redelivered after the restart is recognised), and the service goes on
        await Task.Delay(500);
        Assert.That(client.All.Count(r => r.Id == "k1" && r.Type == "done"), Is.EqualTo(1));
        await client.PublishAsync(service.Topics.Prompt, Json.Prompt("k2", "The dog", maxTokens: 10), "k/replies");
        Assert.That((await client.WaitFinalAsync("k2", Wait)).Type, Is.EqualTo("done"));
    }

    [Test]
    public async Task ServiceKilledMidGenerationIsRedeliveredAfterRestart()
    {
        using var broker = await Mosquitto.StartAsync();
        var device = "kill" + Guid.NewGuid().ToString("N")[..6];
        string[] args = ["serve", "--model", TestEnvironment.SlowModelPath, "--broker", broker.Endpoint, "--device-id", device, "--threads", "1", "--log-level", "warning"];
        await using var client = await TestClient.ConnectAsync(broker.Endpoint, persistent: true);
        await client.SubscribeAsync("kill/replies");
        await client.SubscribeAsync($"edgellm/{device}/status");

        using (var first = ChildService.Start(args))
        {
            await client.WaitAsync(a => a.Any(r => r.Topic.EndsWith("/status", StringComparison.Ordinal) && r.Str("state") == "online"), Wait, "the service online");
            await client.PublishAsync($"edgellm/{device}/prompt", Json.Prompt("p1", "Once upon a time", maxTokens: 1000), "kill/replies");
            await client.WaitAsync(a => a.Any(r => r.Id == "p1" && r.Type == "token"), Wait, "the first token");
            first.Kill();
            Assert.That(client.All.Any(r => r.Id == "p1" && r.Type == "done"), Is.False, "killed before the reply was complete");
        }

        // the broker publishes the last will
        await client.WaitAsync(a => a.Any(r => r.Topic.EndsWith("/status", StringComparison.Ordinal) && r.Str("state") == "offline"), Wait, "the last will");
        var before = client.All.Count;

        using var second = ChildService.Start(args);
        var all = await client.WaitAsync(a => a.Skip(before).Any(r => r.Id == "p1" && r.Type == "done"), Wait, "the redelivered prompt answered");
        var done = all.Skip(before).First(r => r.Id == "p1" && r.Type == "done");
        Assert.That(done.Int("completion_tokens"), Is.GreaterThan(0), second.Stderr);
    }

    [Test]
    public async Task GracefulStopCancelsTheRunningPromptAndLeavesQueuedOnesForRedelivery()
    {
        using var broker = await Mosquitto.StartAsync();
        // the demo model finishes its 512-token context in well under a second: use one still running when stop lands
        var options = InProcessService.Defaults(broker.Endpoint) with { ModelPath = TestEnvironment.SlowModelPath };
        await using var client = await TestClient.ConnectAsync(broker.Endpoint);
        await client.SubscribeAsync("g/replies");
        await using (var service = await InProcessService.StartAsync(options))
        {
            await client.PublishAsync(service.Topics.Prompt, Json.Prompt("g0", "Once upon a time", maxTokens: 1000), "g/replies");
            await client.PublishAsync(service.Topics.Prompt, Json.Prompt("g1", "The dog", maxTokens: 10), "g/replies");
            await client.PublishAsync(service.Topics.Prompt, Json.Prompt("g2", "The cat", maxTokens: 10), "g/replies");
            await client.WaitAsync(a => a.Any(r => r.Id == "g0" && r.Type == "token"), Wait, "the first token");
            await service.StopAsync();
        }

        var g0 = client.All.Single(r => r.Id == "g0" && r.Type is "done" or "error");
        Assert.That(g0.Str("finish_reason"), Is.EqualTo("cancelled"));
        Assert.That(client.All.Any(r => r.Id is "g1" or "g2"), Is.False, "queued prompts not answered by the stopping service");

        // published while no service runs: waits in the service's persistent session at the broker
        await client.PublishAsync($"edgellm/{options.DeviceId}/prompt", Json.Prompt("g3", "The bird", maxTokens: 10), "g/replies");

        await using var again = await InProcessService.StartAsync(options);
        Assert.That((await client.WaitFinalAsync("g1", Wait)).Type, Is.EqualTo("done"));
        Assert.That((await client.WaitFinalAsync("g2", Wait)).Type, Is.EqualTo("done"));
        Assert.That((await client.WaitFinalAsync("g3", Wait)).Type, Is.EqualTo("done"));
        await Task.Delay(300);
        Assert.That(client.All.Count(r => r.Id == "g0" && r.Type is "done" or "error"), Is.EqualTo(1), "the cancelled prompt was acknowledged");
    }
}
