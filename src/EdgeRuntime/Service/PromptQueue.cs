using System.Threading.Channels;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>
/// The queue between the prompt sources (MQTT, voice) and the inference worker, in arrival order. Its capacity is a
/// deliberate limit for sources that can be told "busy" (<see cref="TryEnqueue"/>); MQTT prompts are limited by the
/// broker instead (Receive Maximum = <see cref="Capacity"/> + 1, acknowledgement after the reply), and those a broker
/// sends beyond that are held here unacknowledged, never refused (<see cref="Enqueue"/>; docs/mqtt.md).
/// </summary>
public sealed class PromptQueue(int capacity)
{
    private readonly Channel<PromptJob> _channel = Channel.CreateUnbounded<PromptJob>(new UnboundedChannelOptions
    {
        SingleReader = true,
    });

    private readonly int _capacity = Math.Max(0, capacity);
    private int _count;
    private int _peak;
    private int _running;

    /// <summary>Prompts that may wait behind the running one.</summary>
    public int Capacity => _capacity;

    /// <summary>The running prompt and the waiting ones: the most an MQTT 5 broker should have in flight with us.</summary>
    public ushort ReceiveMaximum => (ushort)Math.Clamp(_capacity + 1, 1, ushort.MaxValue);

    /// <summary>Prompts waiting (not counting the running one).</summary>
    public int Depth => Volatile.Read(ref _count);

    /// <summary>The most prompts that have waited at once since start.</summary>
    public int PeakDepth => Volatile.Read(ref _peak);

    public bool Running => Volatile.Read(ref _running) != 0;

    /// <summary>Queues unless <see cref="Capacity"/> prompts already wait (or, with capacity 0, one runs); false = "busy".</summary>
    public bool TryEnqueue(PromptJob job)
    {
        if (Depth >= _capacity && (_capacity > 0 || Running || Depth > 0))
        {
            return false;
        }

        Enqueue(job);
        return true;
    }

    /// <summary>Queues whatever the depth: for prompts the broker already limits (each one unacknowledged until answered).</summary>
    public void Enqueue(PromptJob job)
    {
        var depth = Interlocked.Increment(ref _count);
        for (var peak = Volatile.Read(ref _peak); depth > peak; peak = Volatile.Read(ref _peak))
        {
            Interlocked.CompareExchange(ref _peak, depth, peak);
        }

        if (!_channel.Writer.TryWrite(job))
        {
            Interlocked.Decrement(ref _count);
            throw new InvalidOperationException("the prompt queue is closed");
        }
    }

    public async ValueTask<PromptJob> DequeueAsync(CancellationToken cancellationToken)
    {
        var job = await _channel.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _running, 1);
        Interlocked.Decrement(ref _count);
        return job;
    }

    public void MarkIdle() => Volatile.Write(ref _running, 0);
}
