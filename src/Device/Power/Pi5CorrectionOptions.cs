namespace EdgeLlm.Device.Power;

/// <summary>Linear correction of the Pi 5 PMIC sum: watts = A·ΣVI + B (fit it against a meter, docs/power.md).</summary>
public sealed record Pi5CorrectionOptions
{
    public double A { get; set; } = 1.0;

    public double B { get; set; }
}
