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
    ILogger<MqttService> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        gateway.Start();
        status.Start();
        await connection.StartAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        log.LogInformation("serving edgellm/{Device}/prompt{Fleet}", options.DeviceId, options.FleetGroup is null ? "" : $" and fleet group '{options.FleetGroup}'");
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await gateway.StopAsync().ConfigureAwait(false);
        await status.StopAsync().ConfigureAwait(false);
        await connection.StopAsync(status.OfflineMessage(), cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Sends WATCHDOG=1 to systemd while the worker makes progress (WatchdogSec= in the unit).</summary>
public sealed class SystemdWatchdog(InferenceWorker worker, Microsoft.Extensions.Hosting.Systemd.ISystemdNotifier notifier, ILogger<SystemdWatchdog> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!notifier.IsEnabled || !ulong.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), out var usec) || usec == 0)
        {
            return;
        }

        var interval = TimeSpan.FromMicroseconds(usec / 2);
        // a long prefill on a slow board yields no token for a while: only a worker silent for this long is stuck
        var stall = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMicroseconds(usec * 4).Ticks, TimeSpan.FromMinutes(10).Ticks));
        log.LogInformation("systemd watchdog every {Interval}", interval);
        while (!stoppingToken.IsCancellationRequested)
        {
            // A generation beats on every token; idle waiting beats too. A worker stuck inside one token for
            // several watchdog periods stops the pings, and systemd restarts the service.
            if (worker.Idle || worker.SinceHeartbeat < stall)
            {
                notifier.Notify(new Microsoft.Extensions.Hosting.Systemd.ServiceState("WATCHDOG=1"));
            }

            try
            {
                await Task.Delay(interval, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
