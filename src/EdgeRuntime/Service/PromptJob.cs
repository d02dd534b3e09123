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
