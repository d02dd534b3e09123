using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeLlm.EdgeRuntime.Service;

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
