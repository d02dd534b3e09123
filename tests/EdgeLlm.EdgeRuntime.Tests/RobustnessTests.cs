using System.Text;
using EdgeLlm.EdgeRuntime.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Adapter;

namespace EdgeLlm.EdgeRuntime.Tests;

/// <summary>Bad input, overload and refused clients: every one answered, the service carries on.</summary>
public class RobustnessTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    /// <summary>Malformed payloads of many kinds; {0} is where a request id could go.</summary>
    private static readonly (byte[] Payload, string Code)[] Kinds =
    [
        (Encoding.UTF8.GetBytes("{"), "bad_request"),
        (Encoding.UTF8.GetBytes("not json at all"), "bad_request"),
        (Encoding.UTF8.GetBytes(""), "bad_request"),
        (Encoding.UTF8.GetBytes("[\"prompt\"]"), "bad_request"),
        (Encoding.UTF8.GetBytes("42"), "bad_request"),
        (Encoding.UTF8.GetBytes("null"), "bad_request"),
        (Encoding.UTF8.GetBytes("""{"prompt":""}"""), "bad_request"),
        (Encoding.UTF8.GetBytes("""{"prompt":7}"""), "bad_request"),
        (Encoding.UTF8.GetBytes("""{"prompt":"x","max_tokens":"ten"}"""), "bad_request"),
        (Encoding.UTF8.GetBytes("""{"prompt":"x","max_tokens":-4}"""), "bad_request"),
        (Encoding.UTF8.GetBytes("""{"prompt":"x","temperature":-0.5}"""), "bad_request"),
        (Encoding.UTF8.GetBytes("""{"prompt":"x","top_p":0}"""), "bad_request"),
        (Encoding.UTF8.GetBytes("""{"prompt":"x","top_k":-1}"""), "bad_request"),
        (Encoding.UTF8.GetBytes("""{"prompt":"x","seed":"abc"}"""), "bad_request"),
        (Encoding.UTF8.GetBytes("""{"prompt":"x","stop":"."}"""), "bad_request"),
        (Encoding.UTF8.GetBytes("""{"prompt":"x","stream":1}"""), "bad_request"),
        (Encoding.UTF8.GetBytes("""{"prompt":"x","unknown_field":true}"""), "bad_request"),
        (Encoding.UTF8.GetBytes("""{"prompt":"x","prompt":"y"}"""), "bad_request"),
        (Encoding.UTF8.GetBytes("""{"prompt":"\udc00"}"""), "bad_request"),
        (Encoding.UTF8.GetBytes(new string('[', 100) + new string(']', 100)), "bad_request"),
        ([.. "{\"prompt\":\"caf"u8, 0xE9, .. "\"}"u8], "bad_request"),
        ([0xFF, 0xFE, 0x00, 0x7B], "bad_request"),
        (Encoding.UTF8.GetBytes("{\"prompt\":\"" + new string('x', 9000) + "\"}"), "too_long"),
        (Encoding.UTF8.GetBytes("{\"prompt\":\"" + new string('x', 70_000) + "\"}"), "too_long"),
    ];

    [Test]
    public async Task TenThousandMalformedPayloadsThenANormalPrompt()
    {
        await using var service = await InProcessService.StartAsync(InProcessService.Defaults());
        await using var client = await TestClient.ConnectAsync(service.Endpoint);
        const string replies = "bad/replies";
        await client.SubscribeAsync(replies);

        const int count = 10_000;
        var expected = new string[count];
        var sends = new List<Task>();
        for (var i = 0; i < count; i++)
        {
            var (payload, code) = Kinds[i % Kinds.Length];
            expected[i] = code;
            sends.Add(client.PublishAsync(service.Topics.Prompt, payload, replies, BitConverter.GetBytes(i)));
            if (sends.Count == 200)
            {
                await Task.WhenAll(sends);
                sends.Clear();
            }
        }

        // Three payloads of several MB as well.
        var huge = Encoding.UTF8.GetBytes("{\"prompt\":\"" + new string('y', 3 << 20) + "\"}");
        for (var i = 0; i < 3; i++)
        {
            sends.Add(client.PublishAsync(service.Topics.Prompt, huge, replies, BitConverter.GetBytes(count + i)));
        }

        await Task.WhenAll(sends);
        var all = await client.WaitAsync(a => a.Count >= count + 3, Wait, $"{count + 3} error replies");
        Assert.Multiple(() =>
        {
            Assert.That(all.All(r => r.Type == "error"), Is.True);
            var byIndex = all.ToDictionary(r => BitConverter.ToInt32(r.CorrelationData!), r => r.Str("code"));
            Assert.That(byIndex, Has.Count.EqualTo(count + 3), "one reply per payload");
            for (var i = 0; i < count; i++)
            {
                if (byIndex[i] != expected[i])
                {
                    Assert.Fail($"payload {i} (kind {i % Kinds.Length}): code {byIndex[i]}, expected {expected[i]}");
                }
            }

            Assert.That(byIndex[count], Is.EqualTo("too_long"));
            Assert.That(service.Gateway.ErrorsSent, Is.EqualTo(count + 3));
        });

        await client.PublishAsync(service.Topics.Prompt, Json.Prompt("after", "Once upon a time", 20), replies, [1]);
        var done = await client.WaitFinalAsync("after", Wait);
        Assert.That(done.Type, Is.EqualTo("done"));
        Assert.That(done.Text, Is.Not.Empty);
    }

    [Test]
    public async Task PromptLongerThanTheContextIsTooLong()
    {
        await using var service = await InProcessService.StartAsync(InProcessService.Defaults());
        await using var client = await TestClient.ConnectAsync(service.Endpoint);
        await client.SubscribeAsync("ctx/replies");
        var words = string.Join(' ', Enumerable.Repeat("dog cat sun", 500)); // ~1500 tokens, context 512
        await client.PublishAsync(service.Topics.Prompt, Json.Prompt("ctx", words, 10), "ctx/replies");
        var reply = await client.WaitFinalAsync("ctx", Wait);
        Assert.That(reply.Type, Is.EqualTo("error"));
        Assert.That(reply.Str("code"), Is.EqualTo("too_long"));
        Assert.That(reply.Str("message"), Does.Contain("the context holds 512"));
    }

    [Test]
    public async Task EmbeddedBrokerRefusesWrongCredentials()
    {
        var options = InProcessService.Defaults() with { Username = "edge", Password = "s3cret" };
        await using var service = await InProcessService.StartAsync(options);

        using var intruder = new MqttClientFactory().CreateMqttClient();
        var refused = false;
        try
        {
            var result = await intruder.ConnectAsync(new MqttClientOptionsBuilder()
                .WithTcpServer("127.0.0.1", options.MqttPort).WithCredentials("edge", "wrong").Build());
            refused = result.ResultCode == MqttClientConnectResultCode.BadUserNameOrPassword;
        }
        catch (MqttConnectingFailedException e)
        {
            refused = e.Message.Contains("BadUserNameOrPassword", StringComparison.Ordinal);
        }

        Assert.That(refused, Is.True, "wrong password refused");
        Assert.That(intruder.IsConnected, Is.False);

        await using var client = await TestClient.ConnectAsync(service.Endpoint, username: "edge", password: "s3cret");
        await client.SubscribeAsync("auth/replies");
        await client.PublishAsync(service.Topics.Prompt, Json.Prompt("auth", "Hello", 10), "auth/replies");
        Assert.That((await client.WaitFinalAsync("auth", Wait)).Type, Is.EqualTo("done"));
    }
}
