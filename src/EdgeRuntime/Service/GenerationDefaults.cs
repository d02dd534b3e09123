using System.Threading.Channels;
using EdgeLlm.Kernels.Generation;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeLlm.EdgeRuntime.Service;

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
