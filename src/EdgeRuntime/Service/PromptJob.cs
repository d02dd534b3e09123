namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>
/// A prompt accepted for generation. An MQTT prompt carries the delivery to acknowledge when its reply is complete;
/// a prompt from another source (a voice transcript) has none.
/// </summary>
public sealed class PromptJob(PromptRequest request, ReplyTarget target, string key, Delivery? delivery)
{
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource<PromptOutcome> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Delivery? _delivery = delivery;

    public PromptRequest Request { get; } = request;

    public ReplyTarget Target { get; } = target;

    /// <summary>Identifies a redelivered copy of the same PUBLISH (topic, payload, response topic, correlation data).</summary>
    public string Key { get; } = key;

    public CancellationTokenSource Cancellation { get; } = new();

    /// <summary>The reply has been sent but the acknowledgement could not be (connection lost): waiting for the redelivery.</summary>
    public bool Answered { get; set; }

    public DateTime AnsweredAt { get; set; }

    /// <summary>Completes when the final reply (done or error) has been published.</summary>
    public Task<PromptOutcome> Outcome => _outcome.Task;

    /// <summary>The MQTT delivery to acknowledge; null for a prompt from a local source.</summary>
    public Delivery? Delivery
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

    internal void SetOutcome(PromptOutcome outcome) => _outcome.TrySetResult(outcome);
}
