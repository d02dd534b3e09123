namespace EdgeLlm.Device.Power;

/// <summary>One rail of <c>vcgencmd pmic_read_adc</c>: its name without the _A/_V suffix and what was printed for it.</summary>
public sealed record PmicRail(string Name, double? Volts, double? Amps)
{
    public double? Watts => Volts * Amps;
}
