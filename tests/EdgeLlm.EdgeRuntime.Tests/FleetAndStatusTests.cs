using EdgeLlm.EdgeRuntime.Service;
using EdgeLlm.EdgeRuntime.Tests.Infrastructure;

namespace EdgeLlm.EdgeRuntime.Tests;

public class FleetAndStatusTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(120);

    [Test]
    public async Task TwoServicesInOneFleetGroupAnswerEachPromptExactlyOnce()
    {
        using var broker = await Mosquitto.StartAsync();
        var group = "g" + Guid.NewGuid().ToString("N")[..6];
        await using var a = await InProcessService.StartAsync(InProcessService.Defaults(broker.Endpoint) with { FleetGroup = group, QueueLength = 200 });
        await using var b = await InProcessService.StartAsync(InProcessService.Defaults(broker.Endpoint) with { FleetGroup = group, QueueLength = 200 });
        await using var client = await TestClient.ConnectAsync(broker.Endpoint);
        await client.SubscribeAsync("fleet/replies");

        const int n = 200;
        for (var i = 0; i < n; i++)
        {
            await client.PublishAsync(Topics.FleetPrompt, Json.Prompt($"f{i}", "Once upon a time", maxTokens: 8, stream: false), "fleet/replies");
        }

        var all = await client.WaitAsync(x => x.Count(r => r.Type is "done" or "error") >= n, Wait, $"{n} answers");
        await Task.Delay(500);
        all = client.All.ToList();
        var finals = all.Where(r => r.Type is "done" or "error").ToList();
        Assert.Multiple(() =>
        {
            Assert.That(finals.All(r => r.Type == "done"), Is.True, string.Join(" ", finals.Where(r => r.Type != "done").Take(3).Select(r => r.Json.GetRawText())));
            Assert.That(finals.Select(r => r.Id).Distinct().Count(), Is.EqualTo(n), "every prompt answered");
            Assert.That(finals, Has.Count.EqualTo(n), "none answered twice");
            Assert.That(a.Worker.Completed, Is.GreaterThan(0), "service A used");
            Assert.That(b.Worker.Completed, Is.GreaterThan(0), "service B used");
            Assert.That(a.Worker.Completed + b.Worker.Completed, Is.EqualTo(n));
        });
        TestContext.Progress.WriteLine($"fleet: A answered {a.Worker.Completed}, B {b.Worker.Completed}");
    }

    [Test]
    public async Task RetainedStatusDiscoveryAndOfflineOnStop()
    {
        using var broker = await Mosquitto.StartAsync();
        var options = InProcessService.Defaults(broker.Endpoint);
        var service = await InProcessService.StartAsync(options);
        try
        {
            await using var client = await TestClient.ConnectAsync(broker.Endpoint);
            await client.SubscribeAsync(service.Topics.Status);
            await client.SubscribeAsync("homeassistant/sensor/#");
            var all = await client.WaitAsync(x => x.Any(r => r.Topic == service.Topics.Status && r.Retain) && x.Count(r => r.Topic.StartsWith("homeassistant/", StringComparison.Ordinal)) >= 2,
                TimeSpan.FromSeconds(20), "retained status and discovery");
            var status = all.Last(r => r.Topic == service.Topics.Status);
            Assert.Multiple(() =>
            {
                Assert.That(status.Str("state"), Is.EqualTo("online"));
                Assert.That(status.Str("model"), Is.Not.Empty);
                Assert.That(status.Str("version"), Is.Not.Empty);
                Assert.That(status.Json.TryGetProperty("kernel_path", out _), Is.True);
                Assert.That(status.Int("queue_depth"), Is.Zero);
                var config = all.First(r => r.Topic.StartsWith("homeassistant/sensor/", StringComparison.Ordinal) && r.Topic.EndsWith("/state/config", StringComparison.Ordinal));
                Assert.That(config.Retain, Is.True);
                Assert.That(config.Str("state_topic"), Is.EqualTo(service.Topics.Status));
            });

            // Home Assistant restarts: discovery is published again
            var before = client.All.Count;
            await client.PublishAsync("homeassistant/status", "online");
            await client.WaitAsync(x => x.Skip(before).Any(r => r.Topic.EndsWith("/state/config", StringComparison.Ordinal)), TimeSpan.FromSeconds(20), "discovery again");

            await service.StopAsync();
            await client.WaitAsync(x => x.Any(r => r.Topic == service.Topics.Status && r.Str("state") == "offline"), TimeSpan.FromSeconds(20), "offline");
        }
        finally
        {
            await service.DisposeAsync();
        }
    }
}
