namespace EdgeLlm.EdgeRuntime.Power;

/// <summary>Section "EdgeLlm:Energy": how the thread count is chosen (docs/power.md, "Energy-aware mode").</summary>
public sealed record EnergyOptions
{
    public const string Off = "off";

    public const string Efficient = "efficient";

    public const string Performance = "performance";

    public static IReadOnlyList<string> Modes { get; } = [Off, Efficient, Performance];

    /// <summary>off = Threads as configured; efficient = the thread count with the fewest joules per token, measured at
    /// start-up; performance = one thread per core.</summary>
    public string Mode { get; init; } = Service.ServiceDefaults.EnergyMode;

    public IEnumerable<string> Validate()
    {
        if (Mode is null || !Modes.Contains(Mode))
        {
            yield return $"EdgeLlm:Energy:Mode: '{Mode}' is not off, efficient or performance";
        }
    }
}
