using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>One received PUBLISH, with what is needed to acknowledge it later on the same connection.</summary>
public sealed class Delivery
{
    internal Delivery(MqttApplicationMessageReceivedEventArgs args, long connection)
    {
        Args = args;
        Connection = connection;
    }

    public MqttApplicationMessage Message => Args.ApplicationMessage;

    public string Topic => Args.ApplicationMessage.Topic;

    /// <summary>Which connection (counted from 1) delivered it; an ack is only valid on that connection.</summary>
    public long Connection { get; }

    internal MqttApplicationMessageReceivedEventArgs Args { get; }
}
