using System.Text;
using EdgeLlm.Kernels.Generation;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>
/// Sends one request's reply: token chunks with a running seq, then done (or error). The generator appends text
/// without waiting; a sender publishes whatever has accumulated each time the previous publish was acknowledged,
/// so chunks coalesce when the network is slower than generation.
/// </summary>
public sealed class ReplyStream(MqttConnection connection, PromptJob job, CancellationToken abort)
{
    private readonly Lock _lock = new();
    private readonly StringBuilder _pending = new();
    private readonly StringBuilder _all = new();
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private byte[]? _final;
    private PromptOutcome? _outcome;
    private int _seq;

    /// <summary>Token chunks sent so far.</summary>
    public int ChunksSent => Volatile.Read(ref _seq);

    public string Text
    {
        get
        {
            lock (_lock)
            {
                return _all.ToString();
            }
        }
    }

    /// <summary>The final reply's content, once <see cref="Complete"/> or <see cref="Fail"/> was called.</summary>
    public PromptOutcome? Outcome
    {
        get
        {
            lock (_lock)
            {
                return _outcome;
            }
        }
    }

    public void Append(string text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return;
        }

        lock (_lock)
        {
            _all.Append(text);
            if (job.Request.Stream)
            {
                _pending.Append(text);
            }

            _wake.TrySetResult();
        }
    }

    public void Complete(GenerationStats stats, string tail, EnergyReport energy)
    {
        Append(tail);
        lock (_lock)
        {
            if (_final is null)
            {
                var text = _all.ToString();
                _final = Replies.Done(job.Request.Id, text, stats, energy);
                _outcome = new PromptOutcome(job.Request.Id, true, text, Replies.FinishReasonText(stats.FinishReason), null);
            }

            _wake.TrySetResult();
        }
    }

    public void Fail(string code, string message)
    {
        lock (_lock)
        {
            if (_final is null)
            {
                _final = Replies.Error(job.Request.Id, code, message);
                _outcome = PromptOutcome.Error(job.Request.Id, code, message);
            }

            _wake.TrySetResult();
        }
    }

    /// <summary>Runs until the final message is published (or <c>abort</c> fires).</summary>
    public async Task RunAsync()
    {
        while (true)
        {
            string? chunk = null;
            byte[]? final = null;
            Task wait;
            lock (_lock)
            {
                if (_pending.Length > 0)
                {
                    chunk = _pending.ToString();
                    _pending.Clear();
                }
                else
                {
                    final = _final;
                }

                if (chunk is null && final is null)
                {
                    _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                wait = _wake.Task;
            }

            if (job.Target.IsInternal && (chunk is not null || final is not null))
            {
                if (final is not null)
                {
                    return; // kept for the caller (Outcome), published by no one
                }

                continue;
            }

            if (chunk is not null)
            {
                var seq = _seq;
                await connection.PublishAsync(ReplyMessages.Build(job.Target, Replies.Token(job.Request.Id, seq, chunk)), abort).ConfigureAwait(false);
                Volatile.Write(ref _seq, seq + 1);
                continue;
            }

            if (final is not null)
            {
                await connection.PublishAsync(ReplyMessages.Build(job.Target, final), abort).ConfigureAwait(false);
                return;
            }

            await wait.WaitAsync(abort).ConfigureAwait(false);
        }
    }
}
