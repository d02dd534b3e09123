namespace EdgeLlm.Device.Power;

/// <summary>
/// One source of power readings (docs/power.md): an INA219/INA236 in the supply line, a hwmon sensor, RAPL, the
/// Raspberry Pi 5 PMIC, or an estimate from CPU time.
/// </summary>
public interface IPowerMonitor : IDisposable
{
    /// <summary>The source's name as replies and telemetry report it: "ina219", "ina236", "hwmon", "rapl",
    /// "pi5-pmic", "estimated".</summary>
    string Source { get; }

    /// <summary>What it really measures, one line (e.g. "5 V input of the board", "SoC rails only (partial)").</summary>
    string Description { get; }

    /// <summary>True for the CPU-time estimate: nothing is measured.</summary>
    bool IsEstimate { get; }

    /// <summary>True when <see cref="PowerReading.EnergyJoules"/> is a cumulative counter (RAPL, hwmon energy).</summary>
    bool HasEnergyCounter { get; }

    PowerReading Read();
}
