using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeLlm.EdgeRuntime.Tests.Infrastructure;

/// <summary>An MQTTnet client acting as a user of the service: publishes prompts and collects what comes back.</summary>
public sealed class TestClient : IAsyncDisposable
{
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    private readonly ConcurrentQueue<Received> _received = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private MqttClientOptions? _options;
    private readonly List<string> _subscriptions = [];

    public TestClient()
    {
        _client.ApplicationMessageReceivedAsync += e =>
        {
            var m = e.ApplicationMessage;
            var payload = m.Payload.ToArray();
            JsonElement json;
            try
            {
                json = JsonDocument.Parse(payload).RootElement.Clone();
            }
            catch (JsonException)
            {
                json = JsonDocument.Parse(JsonSerializer.Serialize(Encoding.UTF8.GetString(payload))).RootElement.Clone();
            }

            _received.Enqueue(new Received(m.Topic, json, m.CorrelationData, m.Retain, DateTime.UtcNow));
            _arrived.Release();
            return Task.CompletedTask;
        };
    }

    public IMqttClient Client => _client;

    public IReadOnlyCollection<Received> All => _received.ToArray();

    public static async Task<TestClient> ConnectAsync(string endpoint, MqttProtocolVersion version = MqttProtocolVersion.V500,
        string? username = null, string? password = null, string? clientId = null, bool persistent = false,
        Action<MqttClientOptionsBuilder>? configure = null)
    {
        var c = new TestClient();
        var parts = endpoint.Split(':');
        var b = new MqttClientOptionsBuilder()
            .WithTcpServer(parts[0], int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture))
            .WithProtocolVersion(version)
            .WithClientId(clientId ?? "test-" + Guid.NewGuid().ToString("N")[..10])
            .WithTimeout(TimeSpan.FromSeconds(10));
        if (persistent)
        {
            b.WithCleanStart(false);
            if (version == MqttProtocolVersion.V500)
            {
                b.WithSessionExpiryInterval(3600);
            }
        }

        if (username is not null)
        {
            b.WithCredentials(username, password);
        }

        configure?.Invoke(b);
        c._options = b.Build();
        var result = await c._client.ConnectAsync(c._options);
        Assert.That(result.ResultCode, Is.EqualTo(MqttClientConnectResultCode.Success));
        return c;
    }

    public async Task SubscribeAsync(string topic)
    {
        _subscriptions.Add(topic);
        await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(topic, MqttQualityOfServiceLevel.AtLeastOnce).Build());
    }

    /// <summary>Reconnects (persistent session) until the broker answers; resubscribes.</summary>
    public async Task ReconnectAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if (!_client.IsConnected)
                {
                    await _client.ConnectAsync(_options!);
                }

                foreach (var s in _subscriptions)
                {
                    await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(s, MqttQualityOfServiceLevel.AtLeastOnce).Build());
                }

                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    public Task PublishAsync(string topic, string payload, string? responseTopic = null, byte[]? correlation = null, bool retain = false) =>
        PublishAsync(topic, Encoding.UTF8.GetBytes(payload), responseTopic, correlation, retain);

    public async Task PublishAsync(string topic, byte[] payload, string? responseTopic = null, byte[]? correlation = null, bool retain = false)
    {
        var b = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithRetainFlag(retain)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        if (responseTopic is not null)
        {
            b.WithResponseTopic(responseTopic);
        }

        if (correlation is not null)
        {
            b.WithCorrelationData(correlation);
        }

        await _client.PublishAsync(b.Build());
    }

    /// <summary>Waits until <paramref name="done"/> holds for what has been received so far.</summary>
    public async Task<IReadOnlyList<Received>> WaitAsync(Func<IReadOnlyList<Received>, bool> done, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var all = _received.ToArray();
            if (done(all))
            {
                return all;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                Assert.Fail($"timed out after {timeout.TotalSeconds:F0} s waiting for {what}; received {all.Length} messages: " +
                    string.Join(" | ", all.TakeLast(5).Select(r => $"{r.Topic} {r.Json.GetRawText()}")));
            }

            await _arrived.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>Waits for the final message (done or error) with this request id.</summary>
    public async Task<Received> WaitFinalAsync(string id, TimeSpan timeout)
    {
        var all = await WaitAsync(a => a.Any(r => r.Id == id && r.Type is "done" or "error"), timeout, $"the reply to {id}");
        return all.First(r => r.Id == id && r.Type is "done" or "error");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_client.IsConnected)
            {
                await _client.DisconnectAsync(new MqttClientDisconnectOptions());
            }
        }
        catch (Exception)
        {
        }

        _client.Dispose();
        _arrived.Dispose();
    }
}
