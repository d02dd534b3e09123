using System.Threading.Channels;
using EdgeLlm.Kernels.Generation;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeLlm.EdgeRuntime.Service;

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
