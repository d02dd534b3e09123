using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>
/// The MQTTnet.Server broker that runs in the service when no external broker is configured: loopback by default,
/// persistent sessions (so prompts wait for a reconnecting client), optional username/password for every client.
/// </summary>
public sealed class EmbeddedBroker(ServiceOptions options, ILogger<EmbeddedBroker> log) : IHostedService, IAsyncDisposable
{
    private MqttServer? _server;

    public int Port => options.MqttPort;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var address = IPAddress.Parse(options.BindAddress);
        var serverOptions = new MqttServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointPort(options.MqttPort)
            .WithPersistentSessions()
            .WithMaxPendingMessagesPerClient(100_000)
            .Build();
        var endpoint = serverOptions.DefaultEndpointOptions;
        var v6 = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        endpoint.BoundInterNetworkAddress = v6 ? IPAddress.None : address;
        endpoint.BoundInterNetworkV6Address = v6 ? address : IPAddress.None;

        _server = new MqttServerFactory().CreateMqttServer(serverOptions);
        byte[]? user = options.Username is null ? null : Encoding.UTF8.GetBytes(options.Username);
        byte[] pass = Encoding.UTF8.GetBytes(options.Password ?? "");
        _server.ValidatingConnectionAsync += e =>
        {
            // mosquitto_pub/_sub -V 5 send an empty client id and expect one assigned (MQTT 5 only: 3.1.1 has no
            // way to tell the client, so 3.1.1 clients must name themselves, e.g. mosquitto_sub -i NAME).
            if (string.IsNullOrEmpty(e.ClientId) && e.ProtocolVersion == MQTTnet.Formatter.MqttProtocolVersion.V500)
            {
                e.AssignedClientIdentifier = "auto-" + Guid.NewGuid().ToString("N");
            }

            if (user is not null)
            {
                var okUser = CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(e.UserName ?? ""), user);
                var okPass = CryptographicOperations.FixedTimeEquals(e.RawPassword ?? [], pass);
                if (!(okUser && okPass))
                {
                    e.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
                    log.LogWarning("embedded broker refused client {ClientId} from {Endpoint}: bad user name or password", e.ClientId, e.RemoteEndPoint);
                }
            }

            return Task.CompletedTask;
        };

        await _server.StartAsync().ConfigureAwait(false);
        log.LogInformation("embedded MQTT broker listening on {Address}:{Port}", options.BindAddress, options.MqttPort);
        if (!IPAddress.IsLoopback(address) && options.Username is null)
        {
            log.LogWarning("the embedded broker accepts anyone on {Address}: set --username and --password", options.BindAddress);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is not null)
        {
            await _server.StopAsync().ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync()
    {
        _server?.Dispose();
        return ValueTask.CompletedTask;
    }
}
