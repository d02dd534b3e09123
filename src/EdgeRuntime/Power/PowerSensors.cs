using EdgeLlm.Device.Power;
using EdgeLlm.EdgeRuntime.Service;
using Microsoft.Extensions.Logging;

namespace EdgeLlm.EdgeRuntime.Power;

/// <summary>
/// The service's power source (docs/power.md), opened once: the monitor, an energy meter for replies and the idle
/// tracker. No source (a chosen one that is absent, a broken bus) is one warning line; the service then answers
/// with null energy figures and publishes no power telemetry.
/// </summary>
public sealed class PowerSensors : IDisposable
{
    public PowerSensors(PowerOptions options, PowerPlatform platform, DeviceStatus status, ILogger<PowerSensors> log)
    {
        var notes = new List<string>();
        try
        {
            Monitor = PowerMonitorFactory.Open(options, platform, notes);
        }
        catch (Exception e) when (e is PowerSourceException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            log.LogWarning("power: no power source, replies carry no energy figures: {Error}", e.Message);
            return;
        }

        foreach (var note in notes)
        {
            log.LogDebug("power auto: skipped {Note}", note);
        }

        Meter = new EnergyMeter(Monitor, platform.Time, options.SampleHz);
        Idle = new IdlePowerTracker(Monitor, platform.Time);
        Idle.SetIdle(true);
        status.SetPowerSource(Monitor.Source, Monitor.IsEstimate);
        log.LogInformation("power: {Source}{Estimate}: {Description}", Monitor.Source, Monitor.IsEstimate ? " (estimate)" : "", Monitor.Description);
    }

    /// <summary>Null when no source could be opened.</summary>
    public IPowerMonitor? Monitor { get; }

    public EnergyMeter? Meter { get; }

    public IdlePowerTracker? Idle { get; }

    public void Dispose()
    {
        Idle?.Dispose();
        Monitor?.Dispose();
    }
}
