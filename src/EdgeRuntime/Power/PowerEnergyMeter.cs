using EdgeLlm.EdgeRuntime.Service;

namespace EdgeLlm.EdgeRuntime.Power;

/// <summary>
/// The reply energy meter over the service's power source (docs/power.md, "Energy of a reply"): each generation is
/// an <see cref="Device.Power.EnergyMeter"/> window; the idle tracker measures only between generations.
/// </summary>
public sealed class PowerEnergyMeter : IEnergyMeter
{
    private readonly PowerSensors _sensors;
    private readonly DeviceStatus _status;
    private readonly Lock _lock = new();
    private PowerEnergyMeasurement? _open;

    public PowerEnergyMeter(PowerSensors sensors, DeviceStatus status)
    {
        if (sensors.Meter is null || sensors.Idle is null)
        {
            throw new ArgumentException("the power sensors have no source", nameof(sensors));
        }

        _sensors = sensors;
        _status = status;
    }

    public IEnergyMeasurement Start(PromptRequest request)
    {
        lock (_lock)
        {
            // a generation that failed without Stop leaves its window open: end it (one generation at a time)
            _open?.Abandon();
            _sensors.Idle!.SetIdle(false);
            try
            {
                _open = new PowerEnergyMeasurement(_sensors.Meter!.Start(), _sensors.Idle, _status);
                return _open;
            }
            catch
            {
                _sensors.Idle.SetIdle(true);
                throw;
            }
        }
    }
}
