using System.Threading.Channels;
using EdgeLlm.Kernels.Generation;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeLlm.EdgeRuntime.Service;

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
