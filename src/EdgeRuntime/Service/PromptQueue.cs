using System.Threading.Channels;
using EdgeLlm.Kernels.Generation;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>A prompt accepted for generation, with the delivery to acknowledge when its reply is complete.</summary>
public sealed class PromptJob(PromptRequest request, ReplyTarget target, string key, Delivery delivery)
{
    private readonly Lock _lock = new();
    private Delivery _delivery = delivery;

    public PromptRequest Request { get; } = request;

    public ReplyTarget Target { get; } = target;

    /// <summary>Identifies a redelivered copy of the same PUBLISH (topic, payload, response topic, correlation data).</summary>
    public string Key { get; } = key;

    public CancellationTokenSource Cancellation { get; } = new();

    /// <summary>The reply has been sent but the acknowledgement could not be (connection lost): waiting for the redelivery.</summary>
    public bool Answered { get; set; }

    public DateTime AnsweredAt { get; set; }

    public Delivery Delivery
    {
        get
        {
            lock (_lock)
            {
                return _delivery;
            }
        }

        set
        {
            lock (_lock)
            {
                _delivery = value;
            }
        }
    }
}

/// <summary>The bounded queue between the gateway and the inference worker.</summary>
public sealed class PromptQueue(int capacity)
{
    private readonly Channel<PromptJob> _channel = Channel.CreateBounded<PromptJob>(new BoundedChannelOptions(Math.Max(1, capacity))
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly int _capacity = capacity;
    private int _count;
    private int _running;

    public int Capacity => _capacity;

    /// <summary>Prompts waiting (not counting the running one).</summary>
    public int Depth => Volatile.Read(ref _count);

    public bool Running => Volatile.Read(ref _running) != 0;

    /// <summary>False when the queue is full (the caller answers "busy").</summary>
    public bool TryEnqueue(PromptJob job)
    {
        // capacity 0: only accept while nothing runs or waits
        if (_capacity == 0 && (Running || Depth > 0))
        {
            return false;
        }

        if (!_channel.Writer.TryWrite(job))
        {
            return false;
        }

        Interlocked.Increment(ref _count);
        return true;
    }

    public async ValueTask<PromptJob> DequeueAsync(CancellationToken cancellationToken)
    {
        var job = await _channel.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        Interlocked.Decrement(ref _count);
        Volatile.Write(ref _running, 1);
        return job;
    }

    public void MarkIdle() => Volatile.Write(ref _running, 0);
}

/// <summary>Builds the reply messages of one request.</summary>
internal static class ReplyMessages
{
    public static MqttApplicationMessage Build(ReplyTarget target, byte[] payload)
    {
        var b = new MqttApplicationMessageBuilder()
            .WithTopic(target.Topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithContentType("application/json")
            .WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData);
        if (target.CorrelationData is { Length: > 0 } correlation)
        {
            b.WithCorrelationData(correlation);
        }

        return b.Build();
    }
}

/// <summary>Default generation settings that a request's fields override.</summary>
internal static class GenerationDefaults
{
    public static SamplingOptions Sampling(ServiceOptions o) => new()
    {
        Temperature = o.Temperature,
        TopK = o.TopK,
        TopP = o.TopP,
        RepetitionPenalty = o.RepetitionPenalty,
    };
}
