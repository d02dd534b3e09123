using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>
/// Receives prompts, cancels and Home Assistant announcements; answers bad requests at once (error replies,
/// acknowledged after they are sent) and queues good prompts for the worker, unacknowledged until answered (the
/// broker's Receive Maximum keeps the rest). Takes prompts from local sources too (<see cref="SubmitLocalAsync"/>).
/// Remembers the prompts it holds so that a copy redelivered after a reconnect is not answered twice.
/// </summary>
public sealed class PromptGateway
{
    private static readonly TimeSpan AnsweredRetention = TimeSpan.FromMinutes(10);

    private readonly MqttConnection _connection;
    private readonly PromptQueue _queue;
    private readonly StatusPublisher _status;
    private readonly Topics _topics;
    private readonly RequestLimits _limits;
    private readonly ILogger _log;
    private readonly Dictionary<string, PromptJob> _held = new(StringComparer.Ordinal);
    private readonly Lock _heldLock = new();
    private readonly Channel<(ReplyTarget Target, byte[] Payload, Delivery Delivery)> _immediate =
        Channel.CreateUnbounded<(ReplyTarget, byte[], Delivery)>(new UnboundedChannelOptions { SingleReader = false });

    private readonly List<Task> _repliers = [];
    private readonly CancellationTokenSource _stop = new();
    private volatile bool _accepting = true;
    private long _errors;
    private long _duplicates;
    private long _redeliveries;

    public PromptGateway(MqttConnection connection, PromptQueue queue, StatusPublisher status, Topics topics, ServiceOptions options, ILogger<PromptGateway> log)
    {
        _connection = connection;
        _queue = queue;
        _status = status;
        _topics = topics;
        _log = log;
        _limits = new RequestLimits
        {
            MaxPayloadBytes = options.MaxPayloadBytes,
            MaxPromptLength = options.MaxPromptLength,
            DefaultMaxTokens = options.DefaultMaxTokens,
            DefaultSampling = GenerationDefaults.Sampling(options),
        };
        HomeAssistant = options.HomeAssistantDiscovery;
    }

    private bool HomeAssistant { get; }

    /// <summary>Error replies sent (bad_request, too_long, busy) since start.</summary>
    public long ErrorsSent => Interlocked.Read(ref _errors);

    /// <summary>Redelivered copies of prompts already held (after a reconnect), recognised and not answered again.</summary>
    public long RedeliveriesRecognised => Interlocked.Read(ref _redeliveries);

    public void Start()
    {
        for (var i = 0; i < 4; i++)
        {
            _repliers.Add(Task.Run(() => ImmediateReplierAsync(_stop.Token)));
        }
    }

    /// <summary>Stops taking prompts: from now on they stay unacknowledged, for the broker to redeliver.</summary>
    public void StopAccepting() => _accepting = false;

    public async Task StopAsync()
    {
        _accepting = false;
        lock (_heldLock)
        {
            // local prompts still waiting have no broker to keep them for the next run
            foreach (var job in _held.Values.Where(j => j.Delivery is null))
            {
                job.SetOutcome(PromptOutcome.Error(job.Request.Id, ErrorCodes.Busy, "the service stopped before this prompt ran"));
            }
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _immediate.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_repliers).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Acknowledges a job's prompt after its reply is complete (or remembers it for the redelivered copy).</summary>
    public async Task CompleteAsync(PromptJob job, CancellationToken cancellationToken)
    {
        while (true)
        {
            var delivery = job.Delivery;
            if (delivery is null)
            {
                lock (_heldLock)
                {
                    _held.Remove(job.Key); // a local prompt: nothing to acknowledge
                }

                return;
            }

            var acked = await _connection.AcknowledgeAsync(delivery, cancellationToken).ConfigureAwait(false);
            lock (_heldLock)
            {
                if (acked)
                {
                    _held.Remove(job.Key);
                    return;
                }

                if (!ReferenceEquals(job.Delivery, delivery))
                {
                    continue; // a redelivered copy arrived meanwhile: acknowledge that one
                }

                job.Answered = true;
                job.AnsweredAt = DateTime.UtcNow;
                return;
            }
        }
    }

    /// <summary>Cancels the prompt(s) with this id, running or queued.</summary>
    public int Cancel(string id)
    {
        var n = 0;
        lock (_heldLock)
        {
            foreach (var job in _held.Values)
            {
                if (!job.Answered && job.Request.Id == id)
                {
                    job.Cancellation.Cancel();
                    n++;
                }
            }
        }

        return n;
    }

    /// <summary>
    /// Queues a prompt from a source other than MQTT (a voice transcript): the same queue, the same worker, the reply
    /// published on <paramref name="replyTopic"/> like any other (for voice <see cref="Topics.VoiceReply"/>). Nothing
    /// to acknowledge; a full queue answers "busy" (published and returned; while the service stops, only returned).
    /// Cancel it with <see cref="Cancel"/> and its id. Returns when the final reply has been published.
    /// </summary>
    public async Task<PromptOutcome> SubmitLocalAsync(PromptRequest request, string replyTopic, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!Topics.IsValidPublishTopic(replyTopic))
        {
            throw new ArgumentException($"'{replyTopic}' is not a topic a reply can be published to", nameof(replyTopic));
        }

        var target = new ReplyTarget(replyTopic, null);
        if (!_accepting)
        {
            // not published: a stopping service may have no connection left to publish on
            Interlocked.Increment(ref _errors);
            return PromptOutcome.Error(request.Id, ErrorCodes.Busy, "the service is stopping");
        }

        var job = new PromptJob(request, target, "local\n" + Interlocked.Increment(ref _duplicates) + "\n" + request.Id, null);
        lock (_heldLock)
        {
            _held[job.Key] = job;
        }

        if (!_queue.TryEnqueue(job))
        {
            lock (_heldLock)
            {
                _held.Remove(job.Key);
            }

            return await ReplyErrorAsync(target, request.Id, ErrorCodes.Busy, $"queue full ({_queue.Capacity} waiting); try again later", cancellationToken).ConfigureAwait(false);
        }

        _status.PublishSoon();
        return await job.Outcome.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// As <see cref="SubmitLocalAsync"/>, but nothing is published: the outcome is for the caller alone (an intent,
    /// which answers with its own reply). A full queue is a "busy" outcome.
    /// </summary>
    public async Task<PromptOutcome> SubmitInternalAsync(PromptRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!_accepting)
        {
            return PromptOutcome.Error(request.Id, ErrorCodes.Busy, "the service is stopping");
        }

        var job = new PromptJob(request, ReplyTarget.Internal, "internal\n" + Interlocked.Increment(ref _duplicates) + "\n" + request.Id, null);
        lock (_heldLock)
        {
            _held[job.Key] = job;
        }

        if (!_queue.TryEnqueue(job))
        {
            lock (_heldLock)
            {
                _held.Remove(job.Key);
            }

            Interlocked.Increment(ref _errors);
            return PromptOutcome.Error(request.Id, ErrorCodes.Busy, $"queue full ({_queue.Capacity} waiting); try again later");
        }

        _status.PublishSoon();
        return await job.Outcome.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The intents' handler, when actions are configured (its topic is subscribed and routed to it).</summary>
    public Func<Delivery, Task>? Intents { get; set; }

    /// <summary>A request for <see cref="SubmitLocalAsync"/> with the service's defaults (max tokens, sampling), streamed.</summary>
    public PromptRequest LocalRequest(string id, string prompt) => new()
    {
        Id = id,
        Prompt = prompt,
        MaxTokens = _limits.DefaultMaxTokens,
        Sampling = _limits.DefaultSampling,
    };

    /// <summary>
    /// The topics to subscribe after each connect. Prompts at QoS 1 (acknowledged after the reply); cancel and Home
    /// Assistant at QoS 0, so that they never wait behind prompts for one of the Receive Maximum slots.
    /// </summary>
    public IEnumerable<(string Filter, MqttQualityOfServiceLevel Qos)> Subscriptions()
    {
        yield return (_topics.Prompt, MqttQualityOfServiceLevel.AtLeastOnce);
        if (_topics.FleetSubscription is { } fleet)
        {
            yield return (fleet, MqttQualityOfServiceLevel.AtLeastOnce);
        }

        yield return (_topics.Cancel, MqttQualityOfServiceLevel.AtMostOnce);
        if (Intents is not null)
        {
            yield return (_topics.Intent, MqttQualityOfServiceLevel.AtLeastOnce);
        }

        if (HomeAssistant)
        {
            yield return (_topics.HomeAssistantStatus, MqttQualityOfServiceLevel.AtMostOnce);
        }
    }

    /// <summary>Runs after each connect (give it to <see cref="MqttConnection.StartAsync"/>): subscribes, republishes the status.</summary>
    public async Task HandleConnectedAsync(bool sessionPresent, CancellationToken cancellationToken)
    {
        await _connection.SubscribeAsync(Subscriptions(), cancellationToken).ConfigureAwait(false);

        // Retained status and discovery after every connect: the broker may have lost them.
        _status.PublishSoon(withDiscovery: HomeAssistant);
    }

    /// <summary>Every received message (give it to <see cref="MqttConnection.StartAsync"/>).</summary>
    public Task HandleMessageAsync(Delivery delivery)
    {
        var topic = delivery.Topic;
        if (topic == _topics.Prompt || topic == Topics.FleetPrompt)
        {
            HandlePrompt(delivery);
            return Task.CompletedTask;
        }

        if (topic == _topics.Intent && Intents is { } intents)
        {
            // generation takes a while: the receive loop must not wait for it (cancels and prompts keep flowing)
            _ = Task.Run(() => intents(delivery));
            return Task.CompletedTask;
        }

        if (topic == _topics.Cancel)
        {
            HandleCancel(delivery);
        }
        else if (topic == _topics.HomeAssistantStatus)
        {
            var text = Encoding.UTF8.GetString(delivery.Message.Payload.ToArray()).Trim();
            if (text.Equals("online", StringComparison.OrdinalIgnoreCase))
            {
                _status.PublishSoon(withDiscovery: true);
            }
        }

        return AckQuietlyAsync(delivery);
    }

    private async Task AckQuietlyAsync(Delivery delivery)
    {
        try
        {
            await _connection.AcknowledgeAsync(delivery, _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void HandleCancel(Delivery delivery)
    {
        string? id = null;
        try
        {
            using var doc = JsonDocument.Parse(delivery.Message.Payload.ToArray());
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("id", out var el) && el.ValueKind == JsonValueKind.String)
            {
                id = el.GetString();
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
        }

        if (id is null)
        {
            _log.LogDebug("ignored a cancel without a string id");
            return;
        }

        var n = Cancel(id);
        _log.LogInformation("cancel {Id}: {Count} prompt(s)", id, n);
    }

    private void HandlePrompt(Delivery delivery)
    {
        if (!_accepting)
        {
            return; // left unacknowledged: the broker redelivers it to the next run
        }

        var message = delivery.Message;
        var payload = message.Payload.ToArray();
        var key = KeyOf(message, payload);

        lock (_heldLock)
        {
            if (_held.TryGetValue(key, out var held) && held.Delivery is { } previous && delivery.Connection > previous.Connection)
            {
                // The broker redelivered a prompt we already hold (its acknowledgement was lost with the connection).
                held.Delivery = delivery;
                Interlocked.Increment(ref _redeliveries);
                if (held.Answered)
                {
                    _held.Remove(key);
                    _ = AckQuietlyAsync(delivery);
                }

                return;
            }

            PruneAnswered();
        }

        var parsed = PromptParser.Parse(payload, _limits, NewId);
        var id = parsed.Id ?? NewId();
        var target = TargetOf(message, parsed.ReplyTo, id);
        if (parsed.IsError)
        {
            ReplyNow(target, Replies.Error(id, parsed.ErrorCode!, parsed.ErrorMessage!), delivery);
            return;
        }

        PromptJob job;
        lock (_heldLock)
        {
            if (_held.ContainsKey(key))
            {
                key += "#" + Interlocked.Increment(ref _duplicates); // the same prompt sent twice on purpose
            }

            job = new PromptJob(parsed.Request!, target, key, delivery);
            _held[key] = job;
        }

        // No "busy" here: the broker sends at most Receive Maximum unacknowledged prompts; one that ignores it
        // (MQTTnet's embedded server does) has the rest held here, unacknowledged, in arrival order.
        _queue.Enqueue(job);
        _status.PublishSoon();
    }

    private ReplyTarget TargetOf(MqttApplicationMessage message, string? replyTo, string id)
    {
        var correlation = message.CorrelationData is { Length: > 0 } c ? c : null;
        if (Topics.IsValidPublishTopic(message.ResponseTopic))
        {
            return new ReplyTarget(message.ResponseTopic, correlation);
        }

        return new ReplyTarget(replyTo ?? _topics.DefaultReply(id), correlation);
    }

    private void ReplyNow(ReplyTarget target, byte[] payload, Delivery delivery)
    {
        Interlocked.Increment(ref _errors);
        _immediate.Writer.TryWrite((target, payload, delivery));
    }

    private async Task<PromptOutcome> ReplyErrorAsync(ReplyTarget target, string id, string code, string message, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _errors);
        await _connection.PublishAsync(ReplyMessages.Build(target, Replies.Error(id, code, message)), cancellationToken).ConfigureAwait(false);
        return PromptOutcome.Error(id, code, message);
    }

    private async Task ImmediateReplierAsync(CancellationToken stop)
    {
        try
        {
            await foreach (var (target, payload, delivery) in _immediate.Reader.ReadAllAsync(stop).ConfigureAwait(false))
            {
                try
                {
                    await _connection.PublishAsync(ReplyMessages.Build(target, payload), stop).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // e.g. a reply topic the client library refuses: nothing to send it to, the prompt is still done
                    _log.LogWarning("error reply to {Topic} not sent: {Error}", target.Topic, e.Message);
                }

                await _connection.AcknowledgeAsync(delivery, stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private void PruneAnswered()
    {
        if (_held.Count < 64)
        {
            return;
        }

        var cutoff = DateTime.UtcNow - AnsweredRetention;
        foreach (var (k, job) in _held.ToArray())
        {
            if (job.Answered && job.AnsweredAt < cutoff)
            {
                _held.Remove(k);
            }
        }
    }

    private static string KeyOf(MqttApplicationMessage message, byte[] payload)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        h.AppendData(Encoding.UTF8.GetBytes(message.Topic + "\n" + message.ResponseTopic + "\n"));
        h.AppendData(message.CorrelationData ?? []);
        h.AppendData("\n"u8);
        h.AppendData(payload);
        return Convert.ToHexString(h.GetHashAndReset());
    }

    private static string NewId() => "r" + Guid.NewGuid().ToString("N")[..16];
}
