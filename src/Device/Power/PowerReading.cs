namespace EdgeLlm.Device.Power;

/// <summary>One reading.</summary>
/// <param name="Watts">Power now (for counter sources: the average since the previous reading).</param>
/// <param name="Volts">Bus voltage, where the source has one.</param>
/// <param name="Amps">Current, where the source has one.</param>
/// <param name="EnergyJoules">Cumulative energy since the monitor was opened, wraps already unfolded; null without a counter.</param>
/// <param name="Timestamp">When it was read.</param>
public readonly record struct PowerReading(double Watts, double? Volts, double? Amps, double? EnergyJoules, DateTimeOffset Timestamp);
