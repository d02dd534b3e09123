namespace EdgeLlm.Device.Power;

/// <summary>
/// Measures the energy of time windows on one monitor (docs/power.md): the counter's difference where the monitor has
/// one, else power sampled at <c>sampleHz</c> on the <see cref="TimeProvider"/>'s timer and integrated with the
/// trapezoid rule over the window's wall time. Windows may overlap; each has its own sampling.
/// </summary>
public sealed class EnergyMeter
{
    /// <summary>A counter window still reads the counter this often so that a wrap between Start and Stop is seen
    /// (a 32-bit µJ counter wraps after 4 295 J: 43 s at 100 W).</summary>
    internal static readonly TimeSpan CounterPollPeriod = TimeSpan.FromSeconds(1);

    public EnergyMeter(IPowerMonitor monitor, TimeProvider? time = null, double sampleHz = 10)
    {
        if (!(sampleHz > 0) || double.IsInfinity(sampleHz))
        {
            throw new ArgumentOutOfRangeException(nameof(sampleHz), sampleHz, "must be > 0");
        }

        Monitor = monitor;
        Time = time ?? TimeProvider.System;
        SamplePeriod = TimeSpan.FromSeconds(1 / sampleHz);
    }

    public IPowerMonitor Monitor { get; }

    public TimeProvider Time { get; }

    public TimeSpan SamplePeriod { get; }

    /// <summary>Starts a window now; <see cref="EnergyMeasurement.Stop"/> ends it.</summary>
    public EnergyMeasurement Start() => new(this);
}
