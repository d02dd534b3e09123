using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using EdgeLlm.Kernels.Generation;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>Where and how a reply goes: the topic, and the MQTT 5 correlation data to echo (if any).</summary>
public sealed record ReplyTarget(string Topic, byte[]? CorrelationData)
{
    /// <summary>No topic: the reply is kept for the caller and not published (an intent's generation).</summary>
    public static ReplyTarget Internal { get; } = new("", null);

    public bool IsInternal => Topic.Length == 0;
}
