namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>
/// How often <see cref="SystemdWatchdog"/> pings, and how long a generation may go without a token before the pings
/// stop (so systemd restarts the service).
/// </summary>
public sealed record WatchdogTiming(TimeSpan Interval, TimeSpan Stall)
{
    /// <summary>From systemd's WATCHDOG_USEC (WatchdogSec= in the unit); null when there is no watchdog.</summary>
    public static WatchdogTiming? FromEnvironment() =>
        ulong.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), out var usec) && usec > 0 ? FromWatchdogUsec(usec) : null;

    /// <summary>
    /// Pings at half the watchdog period. A long prefill on a slow board yields no token for a while, so only a worker
    /// silent for four periods, and at least ten minutes, counts as stuck.
    /// </summary>
    public static WatchdogTiming FromWatchdogUsec(ulong usec) => new(
        TimeSpan.FromMicroseconds(usec / 2),
        TimeSpan.FromTicks(Math.Max(TimeSpan.FromMicroseconds(usec * 4).Ticks, TimeSpan.FromMinutes(10).Ticks)));
}
