namespace EdgeLlm.Device.Power;

/// <summary>The energy of one window (a generation).</summary>
/// <param name="Joules">Energy over the window.</param>
/// <param name="AverageWatts">Joules / Seconds.</param>
/// <param name="Seconds">The window's wall time.</param>
/// <param name="Source">The monitor's <see cref="IPowerMonitor.Source"/>.</param>
/// <param name="IsEstimate">True when nothing was measured.</param>
public readonly record struct EnergyResult(double Joules, double AverageWatts, double Seconds, string Source, bool IsEstimate)
{
    /// <summary>Energy above what the board draws idle over the same time; 0 when within the idle figure.</summary>
    public double AboveIdleJoules(double idleWatts) => Math.Max(0, Joules - (idleWatts * Seconds));

    /// <summary>Joules per generated token; null for no tokens.</summary>
    public double? JoulesPerToken(int tokens) => tokens > 0 ? Joules / tokens : null;
}
