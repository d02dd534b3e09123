using EdgeLlm.EdgeRuntime.Service;
using EdgeLlm.EdgeRuntime.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeLlm.EdgeRuntime.Tests;

/// <summary>
/// Prompts queued while the service was away are all answered: the broker holds what does not fit (MQTT 5 Receive
/// Maximum = the queue's capacity), and what a broker sends beyond that is held unacknowledged, never refused.
/// </summary>
public class FlowControlTests
{
    private const int Prompts = 50;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(25);

    [Test]
    public async Task FiftyPromptsQueuedWhileTheServiceWasDownAreAllAnsweredThroughMosquitto()
    {
        using var broker = await Mosquitto.StartAsync();
        var options = InProcessService.Defaults(broker.Endpoint);
        var peak = await PublishWhileDownThenServeAsync(options, broker.Endpoint);
        // mosquitto 2.0.11 (Debian 12) sends the first Receive Maximum's worth, then another after each PUBACK
        // (its log shows it); whatever comes beyond the capacity waits at the service unacknowledged (docs/mqtt.md)
        TestContext.Progress.WriteLine($"mosquitto: at most {peak} prompts waited at the service");
    }

    [Test]
    public async Task FiftyPromptsQueuedWhileTheServiceWasDownAreAllAnsweredThroughTheEmbeddedBroker()
    {
        // the embedded broker (MQTTnet's server) on its own, so that it keeps the session while the service is down
        var brokerOptions = InProcessService.Defaults();
        var broker = new EmbeddedBroker(brokerOptions, NullLogger<EmbeddedBroker>.Instance);
        await broker.StartAsync(CancellationToken.None);
        try
        {
            var endpoint = $"127.0.0.1:{brokerOptions.MqttPort}";
            var peak = await PublishWhileDownThenServeAsync(InProcessService.Defaults(endpoint), endpoint);
            // MQTTnet 5.2's server ignores Receive Maximum and sends them all; the service holds them unacknowledged
            TestContext.Progress.WriteLine($"embedded broker: at most {peak} prompts waited at the service");
        }
        finally
        {
            await broker.StopAsync(CancellationToken.None);
            await broker.DisposeAsync();
        }
    }

    [Test]
    public async Task AQueueOfOneOnlineAnswersEveryPromptWithoutBusy()
    {
        var options = InProcessService.Defaults() with { QueueLength = 1 };
        await using var service = await InProcessService.StartAsync(options);
        await using var client = await TestClient.ConnectAsync(service.Endpoint);
        await client.SubscribeAsync("q/replies");
        const int n = 8;
        for (var i = 0; i < n; i++)
        {
            await client.PublishAsync(service.Topics.Prompt, Json.Prompt($"q{i}", "Once upon a time", maxTokens: 200), "q/replies");
        }

        var all = await client.WaitAsync(a => Enumerable.Range(0, n).All(i => a.Any(r => r.Id == $"q{i}" && r.Type is "done" or "error")), Wait, "all answers");
        var finals = all.Where(r => r.Type is "done" or "error").ToList();
        Assert.That(finals, Has.Count.EqualTo(n), "exactly one final reply per prompt");
        Assert.That(finals.Where(r => r.Type == "error").Select(r => r.Json.GetRawText()), Is.Empty, "no busy: the broker held them");
    }

    [Test]
    public void ReceiveMaximumIsTheQueueCapacityPlusTheRunningPrompt()
    {
        Assert.That(new PromptQueue(8).ReceiveMaximum, Is.EqualTo(9));
        Assert.That(new PromptQueue(0).ReceiveMaximum, Is.EqualTo(1));
        Assert.That(new PromptQueue(100_000).ReceiveMaximum, Is.EqualTo(ushort.MaxValue));
    }

    /// <summary>Starts the service once (its persistent session), stops it, publishes the prompts, serves again.</summary>
    private static async Task<int> PublishWhileDownThenServeAsync(ServiceOptions options, string endpoint)
    {
        await using var client = await TestClient.ConnectAsync(endpoint, persistent: true);
        await client.SubscribeAsync("fc/replies");
        await using (var first = await InProcessService.StartAsync(options))
        {
            Assert.That(first.Connection.ReceiveMaximum, Is.EqualTo(options.QueueLength + 1));
        }

        for (var i = 0; i < Prompts; i++)
        {
            await client.PublishAsync($"edgellm/{options.DeviceId}/prompt", Json.Prompt($"f{i}", "Once upon a time", maxTokens: 4, stream: false), "fc/replies");
        }

        await using var service = await InProcessService.StartAsync(options);
        var all = await client.WaitAsync(a => a.Count(r => r.Type is "done" or "error") >= Prompts, Wait, $"{Prompts} answers");
        var finals = all.Where(r => r.Type is "done" or "error").ToList();
        Assert.That(finals.Where(r => r.Type == "error").Select(r => r.Json.GetRawText()), Is.Empty, "no error, no busy");
        Assert.That(finals.Select(r => r.Id).Order(StringComparer.Ordinal), Is.EqualTo(Enumerable.Range(0, Prompts).Select(i => $"f{i}").Order(StringComparer.Ordinal)),
            "each prompt answered once");
        Assert.That(finals.All(r => r.Int("completion_tokens") > 0), Is.True);
        return service.Queue.PeakDepth;
    }
}
