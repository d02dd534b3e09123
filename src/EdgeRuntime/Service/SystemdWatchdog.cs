using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>Sends WATCHDOG=1 to systemd while the worker makes progress (WatchdogSec= in the unit).</summary>
public sealed class SystemdWatchdog(InferenceWorker worker, ISystemdNotifier notifier, WatchdogTiming? timing, ILogger<SystemdWatchdog> log) : BackgroundService
{
    private long _pings;

    /// <summary>Pings sent since start.</summary>
    public long Pings => Interlocked.Read(ref _pings);

    /// <summary>
    /// Whether to ping now: while idle, or while the running generation produced a token within
    /// <see cref="WatchdogTiming.Stall"/> (a generation beats on every token; idle waiting beats too).
    /// </summary>
    public static bool Healthy(bool idle, TimeSpan sinceHeartbeat, WatchdogTiming timing) => idle || sinceHeartbeat < timing.Stall;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!notifier.IsEnabled || timing is null)
        {
            return;
        }

        log.LogInformation("systemd watchdog every {Interval}", timing.Interval);
        while (!stoppingToken.IsCancellationRequested)
        {
            // A worker stuck inside one token for several watchdog periods stops the pings, and systemd restarts us.
            if (Healthy(worker.Idle, worker.SinceHeartbeat, timing))
            {
                notifier.Notify(new ServiceState("WATCHDOG=1"));
                Interlocked.Increment(ref _pings);
            }

            try
            {
                await Task.Delay(timing.Interval, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
