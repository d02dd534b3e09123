using System.Text;
using EdgeLlm.EdgeRuntime.Cli;
using EdgeLlm.EdgeRuntime.Tests.Infrastructure;
using EdgeLlm.Kernels.Generation;
using MQTTnet.Formatter;

namespace EdgeLlm.EdgeRuntime.Tests;

/// <summary>Request/reply over MQTT 5 and 3.1.1, on the embedded broker and on mosquitto.</summary>
public class RoundTripTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Test]
    public async Task Mqtt5ResponseTopicEmbeddedBroker()
    {
        await using var service = await InProcessService.StartAsync(InProcessService.Defaults());
        await using var client = await TestClient.ConnectAsync(service.Endpoint);
        const string replyTopic = "test/replies/5";
        await client.SubscribeAsync(replyTopic);
        var correlation = Encoding.UTF8.GetBytes("corr-\u00e9-1");
        await client.PublishAsync(service.Topics.Prompt, Json.Prompt("r1", "Once upon a time", maxTokens: 40), replyTopic, correlation);

        var done = await client.WaitFinalAsync("r1", Wait);
        var all = client.All.Where(r => r.Id == "r1").ToList();
        var tokens = all.Where(r => r.Type == "token").ToList();
        Assert.Multiple(() =>
        {
            Assert.That(done.Type, Is.EqualTo("done"), done.Json.GetRawText());
            Assert.That(all.All(r => r.Topic == replyTopic), Is.True);
            Assert.That(all.All(r => r.CorrelationData is not null && r.CorrelationData.SequenceEqual(correlation)), Is.True, "correlation data echoed on every reply");
            Assert.That(tokens.Select(t => t.Int("seq")), Is.EqualTo(Enumerable.Range(0, tokens.Count)), "seq 0,1,2,… in order");
            Assert.That(string.Concat(tokens.Select(t => t.Text)), Is.EqualTo(done.Text), "chunks add up to the done text");
            Assert.That(done.Text, Is.Not.Empty);
            Assert.That(done.Str("finish_reason"), Is.AnyOf("stop", "length"));
            Assert.That(done.Int("completion_tokens"), Is.GreaterThan(0).And.LessThanOrEqualTo(40));
            Assert.That(done.Int("prompt_tokens"), Is.GreaterThan(1));
            // Power:Source auto always finds a source, at worst the CPU-time estimate: every reply carries figures
            Assert.That(done.Json.GetProperty("energy_joules").GetDouble(), Is.GreaterThanOrEqualTo(0));
            Assert.That(done.Str("power_source"), Is.AnyOf([.. EdgeLlm.Device.Power.PowerOptions.Sources]));
        });
        Assert.That(all.Last(), Is.SameAs(done), "done is the last message");

        // the same greedy story as the engine gives directly
        using var engine = TestEngine.Load(service.Options);
        var direct = new StringBuilder();
        await foreach (var ev in engine.GenerateAsync("Once upon a time", new GenerationOptions { MaxTokens = 40, Sampling = SamplingOptions.Greedy }, CancellationToken.None))
        {
            direct.Append(ev.Text);
        }

        Assert.That(done.Text, Is.EqualTo(direct.ToString()));
    }

    [Test]
    public async Task Mqtt311ReplyToAndDefaultTopicOnMosquitto()
    {
        using var broker = await Mosquitto.StartAsync();
        await using var service = await InProcessService.StartAsync(InProcessService.Defaults(broker.Endpoint));
        await using var client = await TestClient.ConnectAsync(broker.Endpoint, MqttProtocolVersion.V311);
        await client.SubscribeAsync("v3/replies");
        await client.SubscribeAsync($"edgellm/{service.Options.DeviceId}/reply/+");

        await client.PublishAsync(service.Topics.Prompt, Json.Prompt("v3a", "The cat", maxTokens: 20, replyTo: "v3/replies"));
        await client.PublishAsync(service.Topics.Prompt, Json.Prompt("v3b", "The dog", maxTokens: 20, stream: false));

        var a = await client.WaitFinalAsync("v3a", Wait);
        var b = await client.WaitFinalAsync("v3b", Wait);
        Assert.Multiple(() =>
        {
            Assert.That(a.Type, Is.EqualTo("done"));
            Assert.That(a.Topic, Is.EqualTo("v3/replies"));
            var aTokens = client.All.Where(r => r.Id == "v3a" && r.Type == "token").ToList();
            Assert.That(aTokens.Select(t => t.Int("seq")), Is.EqualTo(Enumerable.Range(0, aTokens.Count)));
            Assert.That(string.Concat(aTokens.Select(t => t.Text)), Is.EqualTo(a.Text));
            Assert.That(b.Type, Is.EqualTo("done"));
            Assert.That(b.Topic, Is.EqualTo($"edgellm/{service.Options.DeviceId}/reply/v3b"));
            Assert.That(client.All.Count(r => r.Id == "v3b"), Is.EqualTo(1), "stream:false sends only done");
        });
    }

    [Test]
    public async Task CancelEndsTheGenerationCancelled()
    {
        // The slow model: the demo model fills its 512-token context in under half a second, which a loaded CI run
        // once took to deliver the cancel (finish_reason "length").
        await using var service = await InProcessService.StartAsync(InProcessService.Defaults() with { ModelPath = TestEnvironment.SlowModelPath });
        await using var client = await TestClient.ConnectAsync(service.Endpoint);
        await client.SubscribeAsync("c/replies");
        await client.PublishAsync(service.Topics.Prompt, Json.Prompt("long", "Once upon a time", maxTokens: 100_000), "c/replies");
        await client.WaitAsync(a => a.Any(r => r.Id == "long" && r.Type == "token"), Wait, "the first token");
        await client.PublishAsync(service.Topics.Cancel, """{"id":"long"}""");
        var done = await client.WaitFinalAsync("long", Wait);

        // Uncancelled, the prompt would run to the model's 2 048-token context ("length"). How many tokens arrive
        // before the cancel does is the broker's and the scheduler's business (575 in one loaded CI run at the
        // slow model's ~600 tok/s), so the count is only bounded by that natural end.
        Assert.That(done.Str("finish_reason"), Is.EqualTo("cancelled"));
        Assert.That(done.Int("completion_tokens"), Is.GreaterThan(0).And.LessThan(2048));
    }

    [Test]
    public async Task AskStreamsTheReply()
    {
        await using var service = await InProcessService.StartAsync(InProcessService.Defaults());
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await AskCommand.RunAsync("127.0.0.1", service.Options.MqttPort, service.Options.DeviceId, false,
            new AskCommand.AskRequest { Prompt = "Once upon a time", MaxTokens = 30, Temperature = 0 },
            null, null, Wait, false, stdout, stderr, CancellationToken.None);
        Assert.That(code, Is.Zero, stderr.ToString());
        Assert.That(stdout.ToString().Trim(), Is.Not.Empty);
        Assert.That(stderr.ToString(), Does.Contain("tokens"));
    }
}
