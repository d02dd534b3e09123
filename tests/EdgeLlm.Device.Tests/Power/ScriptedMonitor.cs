using EdgeLlm.Device.Power;

namespace EdgeLlm.Device.Tests.Power;

/// <summary>A monitor whose power is a function of the fake clock's time since construction; with
/// <c>counter</c> its energy is that function's exact integral, supplied by the test.</summary>
public sealed class ScriptedMonitor(TimeProvider time, Func<double, double> watts, Func<double, double>? energy = null) : IPowerMonitor
{
    private readonly long _start = time.GetTimestamp();

    public int Reads { get; private set; }

    public string Source => "scripted";

    public string Description => "test";

    public bool IsEstimate => false;

    public bool HasEnergyCounter => energy is not null;

    public double Seconds => time.GetElapsedTime(_start).TotalSeconds;

    public PowerReading Read()
    {
        Reads++;
        double t = Seconds;
        return new PowerReading(watts(t), null, null, energy?.Invoke(t), time.GetUtcNow());
    }

    public void Dispose()
    {
    }
}
