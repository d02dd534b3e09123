using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>
/// Connects the gateway to the broker at start; at stop (after the worker has answered the running prompt)
/// publishes the retained offline status and disconnects, keeping the broker session and its queued prompts.
/// </summary>
public sealed class MqttService(
    MqttConnection connection,
    PromptGateway gateway,
    StatusPublisher status,
    ServiceOptions options,
    ILogger<MqttService> log,
    IntentHandler? intents = null) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (intents is not null)
        {
            gateway.Intents = intents.HandleMessageAsync;
        }

        gateway.Start();
        status.Start();
        await connection.StartAsync(gateway.HandleMessageAsync, gateway.HandleConnectedAsync, TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        log.LogInformation("serving edgellm/{Device}/prompt{Fleet}", options.DeviceId, options.FleetGroup is null ? "" : $" and fleet group '{options.FleetGroup}'");
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await gateway.StopAsync().ConfigureAwait(false);
        await status.StopAsync().ConfigureAwait(false);
        await connection.StopAsync(status.OfflineMessage(), cancellationToken).ConfigureAwait(false);
    }
}
