using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>
/// The service's MQTT 5 client: a persistent session (clean start false, session expiry), a retained last will,
/// reconnect with exponential backoff and jitter, resubscribe on every connect, publishes that wait out a
/// disconnection, and manual acknowledgement of received prompts.
/// </summary>
public sealed class MqttConnection : IAsyncDisposable
{
    private readonly IMqttClient _client;
    private readonly MqttClientOptions _options;
    private readonly ServiceOptions _settings;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _ackGate = new(1, 1);
    private readonly Lock _signalLock = new();
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _connected = NewSignal();
    private TaskCompletionSource _disconnected = NewSignal();
    private Task? _loop;
    private long _connection;
    private Func<Delivery, Task>? _messageReceived;
    private Func<bool, CancellationToken, Task>? _connectedHandler;

    /// <param name="receiveMaximum">
    /// MQTT 5 Receive Maximum: how many QoS 1 messages the broker may send before we acknowledge any. Prompts are
    /// acknowledged after their reply, so this is the number of prompts the service holds at once (the queue's
    /// capacity); the broker keeps the rest until a slot frees.
    /// </param>
    public MqttConnection(ServiceOptions settings, Topics topics, string host, int port, ushort receiveMaximum, ILogger log)
    {
        _settings = settings;
        _log = log;
        Endpoint = host.Contains(':') ? $"[{host}]:{port}" : $"{host}:{port}";
        _client = new MqttClientFactory().CreateMqttClient();
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(host, port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(settings.EffectiveClientId)
            .WithCleanStart(false)
            .WithSessionExpiryInterval(settings.SessionExpirySeconds)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(settings.KeepAliveSeconds))
            .WithTimeout(TimeSpan.FromSeconds(10))
            .WithReceiveMaximum(Math.Max((ushort)1, receiveMaximum))
            .WithWillTopic(topics.Status)
            .WithWillPayload(StatusPublisher.OfflinePayload)
            .WithWillRetain(true)
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        if (settings.Username is not null)
        {
            builder.WithCredentials(settings.Username, settings.Password ?? "");
        }

        if (settings.Tls.Enabled && settings.Broker is not null)
        {
            builder.WithTlsOptions(t => ConfigureTls(t, settings.Tls, host));
        }

        _options = builder.Build();
        _client.ApplicationMessageReceivedAsync += OnMessageAsync;
        _client.DisconnectedAsync += OnDisconnectedAsync;
    }

    public bool IsConnected => _client.IsConnected;

    /// <summary>How long one publish attempt waits for its PUBACK before it is tried again.</summary>
    public static TimeSpan PublishTimeout { get; } = TimeSpan.FromSeconds(20);

    /// <summary>The number of the current connection (0 before the first).</summary>
    public long ConnectionNumber => Interlocked.Read(ref _connection);

    /// <summary>The MQTT 5 Receive Maximum we ask the broker for: QoS 1 prompts it may have unacknowledged with us at once.</summary>
    public ushort ReceiveMaximum => _options.ReceiveMaximum;

    /// <summary>
    /// Starts the connect loop and waits (at most <paramref name="firstConnectTimeout"/>) for the first connection.
    /// <paramref name="messageReceived"/> gets every received message (acknowledge it with <see cref="AcknowledgeAsync"/>);
    /// <paramref name="connected"/> runs after each successful connect (subscribe there with <see cref="SubscribeAsync"/>;
    /// the flag tells whether the broker kept our session). Called once.
    /// </summary>
    public async Task StartAsync(Func<Delivery, Task> messageReceived, Func<bool, CancellationToken, Task> connected, TimeSpan firstConnectTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messageReceived);
        ArgumentNullException.ThrowIfNull(connected);
        if (Interlocked.CompareExchange(ref _messageReceived, messageReceived, null) is not null)
        {
            throw new InvalidOperationException("the MQTT connection is already started");
        }

        _connectedHandler = connected;
        _loop = Task.Run(() => ConnectLoopAsync(_stop.Token), CancellationToken.None);
        try
        {
            await _connected.Task.WaitAsync(firstConnectTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _log.LogWarning("MQTT broker {Host} not reachable yet; still trying in the background", Endpoint);
        }
    }

    /// <summary>Subscribes on the current connection; returns the filters the broker refused (logged too).</summary>
    public async Task<IReadOnlyList<string>> SubscribeAsync(IEnumerable<(string Filter, MqttQualityOfServiceLevel Qos)> filters, CancellationToken cancellationToken)
    {
        var builder = new MqttClientSubscribeOptionsBuilder();
        foreach (var (filter, qos) in filters)
        {
            builder.WithTopicFilter(filter, qos);
        }

        var result = await _client.SubscribeAsync(builder.Build(), cancellationToken).ConfigureAwait(false);
        var refused = new List<string>();
        foreach (var item in result.Items)
        {
            // granted QoS 0, 1 or 2 are the success codes
            if ((int)item.ResultCode > 2)
            {
                _log.LogWarning("subscription to {Topic} refused: {Code}", item.TopicFilter.Topic, item.ResultCode);
                refused.Add(item.TopicFilter.Topic);
            }
        }

        return refused;
    }

    /// <summary>The broker, "host:port".</summary>
    public string Endpoint { get; }

    /// <summary>Publishes, waiting for a connection and retrying after a disconnection, until done or cancelled.</summary>
    public async Task PublishAsync(MqttApplicationMessage message, CancellationToken cancellationToken)
    {
        var delay = 50;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await WaitConnectedAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                // a PUBACK lost with a half-open connection must not hold the reply forever
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attempt.CancelAfter(PublishTimeout);
                var result = await _client.PublishAsync(message, attempt.Token).ConfigureAwait(false);
                if (!result.IsSuccess && result.ReasonCode != MqttClientPublishReasonCode.NoMatchingSubscribers)
                {
                    _log.LogWarning("broker refused a message to {Topic}: {Reason}", message.Topic, result.ReasonCode);
                }

                return;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not ArgumentException)
            {
                _log.LogDebug("publish to {Topic} failed ({Error}); retrying after reconnect", message.Topic, e.Message);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = Math.Min(delay * 2, 1000);
            }
        }
    }

    /// <summary>
    /// Sends the PUBACK of a received prompt. Returns false when the connection that delivered it is gone:
    /// then the broker redelivers it on the new connection (persistent session) and that copy must be acknowledged.
    /// </summary>
    public async Task<bool> AcknowledgeAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        await _ackGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (delivery.Connection != ConnectionNumber || !_client.IsConnected)
            {
                return false;
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await delivery.Args.AcknowledgeAsync(timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            _log.LogDebug("acknowledgement failed: {Error}", e.Message);
            return false;
        }
        finally
        {
            _ackGate.Release();
        }
    }

    /// <summary>Publishes <paramref name="farewell"/> (if any) and disconnects normally; the session stays with the broker.</summary>
    public async Task StopAsync(MqttApplicationMessage? farewell, CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        if (!_client.IsConnected)
        {
            return;
        }

        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(TimeSpan.FromSeconds(3));
            if (farewell is not null)
            {
                await _client.PublishAsync(farewell, cts.Token).ConfigureAwait(false);
            }

            await _client.DisconnectAsync(new MqttClientDisconnectOptions
            {
                Reason = MqttClientDisconnectOptionsReason.NormalDisconnection,
                SessionExpiryInterval = _settings.SessionExpirySeconds,
            }, cts.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _log.LogDebug("disconnect: {Error}", e.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }

        _client.Dispose();
        _stop.Dispose();
        _ackGate.Dispose();
    }

    private async Task WaitConnectedAsync(CancellationToken cancellationToken)
    {
        if (_client.IsConnected)
        {
            return;
        }

        Task connected;
        lock (_signalLock)
        {
            connected = _connected.Task;
        }

        await connected.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task ConnectLoopAsync(CancellationToken stop)
    {
        var backoff = _settings.ReconnectMinDelayMs;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var disconnected = NewSignal();
                Volatile.Write(ref _disconnected, disconnected);
                // No acknowledgement may be between its connection check and its send while the client switches
                // to a new connection (the packet id would belong to the old one).
                MqttClientConnectResult result;
                await _ackGate.WaitAsync(stop).ConfigureAwait(false);
                try
                {
                    result = await _client.ConnectAsync(_options, stop).ConfigureAwait(false);
                }
                finally
                {
                    _ackGate.Release();
                }

                if (result.ResultCode != MqttClientConnectResultCode.Success)
                {
                    _log.LogWarning("MQTT connect to {Endpoint} refused: {Code} {Reason}", Endpoint, result.ResultCode, result.ReasonString);
                }
                else
                {
                    _log.LogInformation("MQTT connected to {Endpoint} (session present: {Session})", Endpoint, result.IsSessionPresent);
                    if (_connectedHandler is { } onConnected)
                    {
                        await onConnected(result.IsSessionPresent, stop).ConfigureAwait(false);
                    }

                    lock (_signalLock)
                    {
                        _connected.TrySetResult();
                    }

                    backoff = _settings.ReconnectMinDelayMs;
                    await disconnected.Task.WaitAsync(stop).ConfigureAwait(false);
                    continue;
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _log.LogWarning("MQTT connect to {Endpoint} failed: {Error}", Endpoint, e.Message);
                if (_client.IsConnected)
                {
                    // connected but subscribing failed: drop the connection and start over
                    try
                    {
                        await _client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None).ConfigureAwait(false);
                    }
                    catch (Exception)
                    {
                    }
                }
            }

            var jittered = backoff / 2 + Random.Shared.Next(backoff / 2 + 1);
            try
            {
                await Task.Delay(jittered, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff = Math.Min(backoff * 2, _settings.ReconnectMaxDelayMs);
        }
    }

    private Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        e.AutoAcknowledge = false;
        var handler = Volatile.Read(ref _messageReceived);
        if (handler is null)
        {
            return Task.CompletedTask;
        }

        return handler(new Delivery(e, ConnectionNumber));
    }

    private Task OnDisconnectedAsync(MqttClientDisconnectedEventArgs e)
    {
        if (e.ClientWasConnected && !_stop.IsCancellationRequested)
        {
            _log.LogWarning("MQTT disconnected from {Endpoint}: {Reason}; reconnecting", Endpoint, e.Reason);
        }

        // A new connection number first: acknowledgements of the old connection's messages are refused from now on.
        Interlocked.Increment(ref _connection);

        // Only a connection that was up gets a new "connected" signal: failed attempts must not strand waiters
        // on a signal that no later connect completes.
        lock (_signalLock)
        {
            if (_connected.Task.IsCompleted)
            {
                _connected = NewSignal();
            }
        }

        Volatile.Read(ref _disconnected).TrySetResult();
        return Task.CompletedTask;
    }

    private static void ConfigureTls(MqttClientTlsOptionsBuilder t, TlsOptions tls, string host)
    {
        t.UseTls().WithTargetHost(host);
        if (tls.AllowUntrusted)
        {
            t.WithAllowUntrustedCertificates().WithIgnoreCertificateChainErrors().WithCertificateValidationHandler(_ => true);
        }
        else if (tls.CaFile is not null)
        {
            var chain = new X509Certificate2Collection();
            chain.ImportFromPemFile(tls.CaFile);
            t.WithTrustChain(chain);
        }

        if (tls.ClientCertificateFile is not null)
        {
            var ext = Path.GetExtension(tls.ClientCertificateFile).ToLowerInvariant();
            X509Certificate2 cert = ext is ".pfx" or ".p12"
                ? X509CertificateLoader.LoadPkcs12FromFile(tls.ClientCertificateFile, tls.ClientCertificatePassword)
                : X509Certificate2.CreateFromPemFile(tls.ClientCertificateFile, tls.ClientKeyFile);
            t.WithClientCertificates([cert]);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
