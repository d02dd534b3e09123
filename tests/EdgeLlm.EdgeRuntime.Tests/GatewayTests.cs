using EdgeLlm.EdgeRuntime.Service;
using EdgeLlm.EdgeRuntime.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeLlm.EdgeRuntime.Tests;

/// <summary>
/// The gateway and the worker on a scripted engine (real brokers, no model): redelivery, de-duplication, the context
/// limit, cancel, engine failures and a stalled generation under the watchdog.
/// </summary>
public class GatewayTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static ServiceOptions Options(string? broker = null) => InProcessService.Defaults(broker);

    [Test]
    public async Task PromptRedeliveredAfterABrokerRestartIsAnsweredOnce()
    {
        using var broker = await Mosquitto.StartAsync();
        var engine = new ScriptedEngine();
        engine.Script("tell me", new GenerationScript { StallAt = 2 });
        await using var service = await InProcessService.StartAsync(Options(broker.Endpoint), engine: engine);
        await using var client = await TestClient.ConnectAsync(broker.Endpoint, persistent: true);
        await client.SubscribeAsync("rd/replies");

        await client.PublishAsync(service.Topics.Prompt, Json.Prompt("rd1", "tell me"), "rd/replies");
        Assert.That(await engine.WaitStalledAsync(Wait), Is.True, "generation reached its stall");

        // the broker dies while the prompt is unacknowledged (after its once-a-second save); after the restart it
        // sends the prompt again
        await Task.Delay(1500);
        broker.Kill();
        await broker.RestartAsync();
        await client.ReconnectAsync(Wait);
        await WaitUntilAsync(() => service.Gateway.RedeliveriesRecognised >= 1, "the redelivered copy recognised");

        engine.ReleaseStall();
        var done = await client.WaitFinalAsync("rd1", Wait);
        Assert.That(done.Type, Is.EqualTo("done"), done.Json.GetRawText());
        Assert.That(done.Text, Is.EqualTo("Once upon a time"));

        // the copy was acknowledged, not answered: no second generation, no second reply, and nothing left to redeliver
        await client.PublishAsync(service.Topics.Prompt, Json.Prompt("rd2", "again"), "rd/replies");
        Assert.That((await client.WaitFinalAsync("rd2", Wait)).Type, Is.EqualTo("done"));
        Assert.That(client.All.Count(r => r.Id == "rd1" && r.Type == "done"), Is.EqualTo(1));
        Assert.That(engine.Generated, Is.EqualTo(new[] { "tell me", "again" }));
    }

    [Test]
    public async Task PromptAnsweredWhileTheBrokerIsDownIsAcknowledgedOnItsRedelivery()
    {
        using var broker = await Mosquitto.StartAsync();
        var engine = new ScriptedEngine();
        engine.Script("tell me", new GenerationScript { StallAt = 1 });
        await using var service = await InProcessService.StartAsync(Options(broker.Endpoint), engine: engine);
        await using var client = await TestClient.ConnectAsync(broker.Endpoint, persistent: true);
        await client.SubscribeAsync("ad/replies");

        await client.PublishAsync(service.Topics.Prompt, Json.Prompt("ad1", "tell me", stream: false), "ad/replies");
        Assert.That(await engine.WaitStalledAsync(Wait), Is.True);
        await Task.Delay(1500); // mosquitto's once-a-second save, so that it knows the prompt after the restart
        broker.Kill();
        engine.ReleaseStall(); // the reply waits for a connection; its acknowledgement belongs to the dead one
        await Task.Delay(200);
        await broker.RestartAsync();
        await client.ReconnectAsync(Wait);

        var done = await client.WaitFinalAsync("ad1", Wait);
        Assert.That(done.Type, Is.EqualTo("done"));
        await WaitUntilAsync(() => service.Gateway.RedeliveriesRecognised >= 1, "the redelivered copy recognised");

        // a fresh connection of the service must not get the prompt again: it was acknowledged on redelivery
        await Task.Delay(300);
        await service.StopAsync();
        await using var again = await InProcessService.StartAsync(service.Options, engine: new ScriptedEngine());
        await client.PublishAsync(again.Topics.Prompt, Json.Prompt("ad2", "next"), "ad/replies");
        Assert.That((await client.WaitFinalAsync("ad2", Wait)).Type, Is.EqualTo("done"));
        Assert.That(client.All.Count(r => r.Id == "ad1" && r.Type == "done"), Is.EqualTo(1), "answered once");
        Assert.That(engine.Generated, Is.EqualTo(new[] { "tell me" }));
    }

    [Test]
    public async Task TheSamePromptSentTwiceOnPurposeIsAnsweredTwice()
    {
        var engine = new ScriptedEngine { Default = new GenerationScript { DelayPerToken = TimeSpan.FromMilliseconds(30) } };
        await using var service = await InProcessService.StartAsync(Options(), engine: engine);
        await using var client = await TestClient.ConnectAsync(service.Endpoint);
        await client.SubscribeAsync("dup/replies");

        var payload = Json.Prompt("dup", "twice");
        await client.PublishAsync(service.Topics.Prompt, payload, "dup/replies");
        await client.PublishAsync(service.Topics.Prompt, payload, "dup/replies");
        var all = await client.WaitAsync(a => a.Count(r => r.Id == "dup" && r.Type == "done") == 2, Wait, "two answers");
        Assert.That(engine.Generated, Is.EqualTo(new[] { "twice", "twice" }));
        Assert.That(engine.Overlapped, Is.False, "one generation at a time");
        await Task.Delay(200);
        Assert.That(client.All.Count(r => r.Id == "dup" && r.Type == "done"), Is.EqualTo(2), "and no third");
    }

    [TestCase(511, "done")]
    [TestCase(512, "error")]
    [TestCase(100_000, "error")]
    public async Task PromptAsLongAsTheContextIsTooLong(int promptTokens, string type)
    {
        var engine = new ScriptedEngine(contextLength: 512);
        engine.Script("long", new GenerationScript { PromptTokens = promptTokens });
        await using var service = await InProcessService.StartAsync(Options(), engine: engine);
        await using var client = await TestClient.ConnectAsync(service.Endpoint);
        await client.SubscribeAsync("tl/replies");

        await client.PublishAsync(service.Topics.Prompt, Json.Prompt("tl", "long"), "tl/replies");
        var reply = await client.WaitFinalAsync("tl", Wait);
        Assert.That(reply.Type, Is.EqualTo(type), reply.Json.GetRawText());
        if (type == "error")
        {
            Assert.That(reply.Str("code"), Is.EqualTo("too_long"));
            Assert.That(reply.Str("message"), Is.EqualTo($"prompt is {promptTokens} tokens; the context holds 512"));
            Assert.That(engine.Generated, Is.Empty, "nothing generated for a prompt that does not fit");
        }
        else
        {
            Assert.That(reply.Int("prompt_tokens"), Is.EqualTo(promptTokens));
        }
    }

    [Test]
    public async Task CancelStopsTheRunningPromptAndAQueuedOneNeverStarts()
    {
        var engine = new ScriptedEngine { Default = new GenerationScript { Tokens = [.. Enumerable.Repeat(" la", 400)], DelayPerToken = TimeSpan.FromMilliseconds(10) } };
        await using var service = await InProcessService.StartAsync(Options(), engine: engine);
        await using var client = await TestClient.ConnectAsync(service.Endpoint);
        await client.SubscribeAsync("c/replies");

        await client.PublishAsync(service.Topics.Prompt, Json.Prompt("c1", "first", maxTokens: 400), "c/replies");
        await client.PublishAsync(service.Topics.Prompt, Json.Prompt("c2", "second", maxTokens: 400), "c/replies");
        await client.WaitAsync(a => a.Any(r => r.Id == "c1" && r.Type == "token"), Wait, "c1 streaming");
        // in this order on one connection: c2 is cancelled while it waits, before c1's cancel frees the worker
        await client.PublishAsync(service.Topics.Cancel, """{"id":"c2"}""");
        await client.PublishAsync(service.Topics.Cancel, """{"id":"c1"}""");

        var c1 = await client.WaitFinalAsync("c1", Wait);
        var c2 = await client.WaitFinalAsync("c2", Wait);
        Assert.That(c1.Str("finish_reason"), Is.EqualTo("cancelled"));
        Assert.That(c1.Int("completion_tokens"), Is.InRange(1, 399));
        Assert.That(c2.Str("finish_reason"), Is.EqualTo("cancelled"));
        Assert.That(c2.Int("completion_tokens"), Is.Zero);
        Assert.That(engine.Generated, Is.EqualTo(new[] { "first" }), "the cancelled queued prompt was never generated");
    }

    [Test]
    public async Task AnEngineThatThrowsGivesAnInternalErrorAndTheServiceGoesOn()
    {
        var engine = new ScriptedEngine();
        engine.Script("boom", new GenerationScript { ThrowAt = 2, Failure = new InvalidDataException("tensor blk.3 is corrupt") });
        await using var service = await InProcessService.StartAsync(Options(), engine: engine);
        await using var client = await TestClient.ConnectAsync(service.Endpoint);
        await client.SubscribeAsync("x/replies");

        await client.PublishAsync(service.Topics.Prompt, Json.Prompt("x1", "boom"), "x/replies");
        var error = await client.WaitFinalAsync("x1", Wait);
        Assert.That(error.Type, Is.EqualTo("error"));
        Assert.That(error.Str("code"), Is.EqualTo("internal"));
        Assert.That(error.Str("message"), Is.EqualTo("tensor blk.3 is corrupt"));

        await client.PublishAsync(service.Topics.Prompt, Json.Prompt("x2", "fine"), "x/replies");
        Assert.That((await client.WaitFinalAsync("x2", Wait)).Text, Is.EqualTo("Once upon a time"));
    }

    [Test]
    public async Task AStalledGenerationStopsTheWatchdogPingsAndASlowOneDoesNot()
    {
        var engine = new ScriptedEngine();
        engine.Script("stuck", new GenerationScript { StallAt = 1 });
        // progressing, but slower per token than one ping interval: a long prefill or a slow board
        engine.Script("slow", new GenerationScript { Tokens = [.. Enumerable.Repeat(" x", 8)], DelayPerToken = TimeSpan.FromMilliseconds(150) });
        await using var service = await InProcessService.StartAsync(Options(), engine: engine);
        await using var client = await TestClient.ConnectAsync(service.Endpoint);
        await client.SubscribeAsync("wd/replies");

        var notifier = new RecordingNotifier();
        var timing = new WatchdogTiming(TimeSpan.FromMilliseconds(25), TimeSpan.FromMilliseconds(400));
        using var watchdog = new SystemdWatchdog(service.Worker, notifier, timing, NullLogger<SystemdWatchdog>.Instance);
        await watchdog.StartAsync(CancellationToken.None);
        try
        {
            await WaitUntilAsync(() => notifier.Count >= 5, "pings while idle");

            await client.PublishAsync(service.Topics.Prompt, Json.Prompt("slow", "slow"), "wd/replies");
            await client.WaitAsync(a => a.Any(r => r.Id == "slow" && r.Type == "token"), Wait, "the slow prompt started");
            var during = notifier.Count;
            Assert.That((await client.WaitFinalAsync("slow", Wait)).Type, Is.EqualTo("done"));
            Assert.That(notifier.Count - during, Is.GreaterThanOrEqualTo(10), "a generation that makes progress keeps the pings going");

            await client.PublishAsync(service.Topics.Prompt, Json.Prompt("stuck", "stuck"), "wd/replies");
            Assert.That(await engine.WaitStalledAsync(Wait), Is.True);
            await Task.Delay(timing.Stall + TimeSpan.FromMilliseconds(100));
            var stalled = notifier.Count;
            await Task.Delay(timing.Stall);
            Assert.That(notifier.Count, Is.EqualTo(stalled), "no ping while the generation is stuck inside a token");
            Assert.That(notifier.Sent.All(s => s.State == "WATCHDOG=1"), Is.True);

            engine.ReleaseStall();
            Assert.That((await client.WaitFinalAsync("stuck", Wait)).Type, Is.EqualTo("done"));
            await WaitUntilAsync(() => notifier.Count >= stalled + 5, "pings again once it is unstuck");
        }
        finally
        {
            engine.ReleaseStall();
            await watchdog.StopAsync(CancellationToken.None);
        }
    }

    [Test]
    public void WatchdogTimingFollowsSystemd()
    {
        var t = WatchdogTiming.FromWatchdogUsec(30_000_000);
        Assert.That(t.Interval, Is.EqualTo(TimeSpan.FromSeconds(15)));
        Assert.That(t.Stall, Is.EqualTo(TimeSpan.FromMinutes(10)), "at least ten minutes: a long prefill on a slow board");
        Assert.That(WatchdogTiming.FromWatchdogUsec(600_000_000).Stall, Is.EqualTo(TimeSpan.FromMinutes(40)), "four periods when longer");
        Assert.That(SystemdWatchdog.Healthy(idle: true, TimeSpan.FromHours(1), t), Is.True);
        Assert.That(SystemdWatchdog.Healthy(idle: false, TimeSpan.FromMinutes(9), t), Is.True);
        Assert.That(SystemdWatchdog.Healthy(idle: false, TimeSpan.FromMinutes(11), t), Is.False);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for {what}");
            }

            await Task.Delay(20);
        }
    }
}
