namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>
/// Energy figures of one generation, the energy fields of the "done" reply; null where the power source cannot tell
/// (all null without a power monitor).
/// </summary>
/// <param name="EnergyJoules">Energy the board drew during the generation.</param>
/// <param name="JoulesPerToken">EnergyJoules per completion token.</param>
/// <param name="AverageWatts">EnergyJoules over the generation's wall time.</param>
/// <param name="IdleWatts">The board's draw doing nothing, measured before.</param>
/// <param name="EnergyAboveIdleJoules">EnergyJoules minus IdleWatts × wall time: what the generation itself cost.</param>
/// <param name="PowerSource">Which monitor measured it (e.g. "ina219", "hwmon", "estimated").</param>
public sealed record EnergyReport(
    double? EnergyJoules,
    double? JoulesPerToken,
    double? AverageWatts,
    double? IdleWatts,
    double? EnergyAboveIdleJoules,
    string? PowerSource)
{
    public static EnergyReport None { get; } = new(null, null, null, null, null, null);
}
