using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using EdgeLlm.Kernels.Generation;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>Where and how a reply goes: the topic, and the MQTT 5 correlation data to echo (if any).</summary>
public sealed record ReplyTarget(string Topic, byte[]? CorrelationData);
