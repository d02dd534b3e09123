namespace EdgeLlm.Device.Power;

/// <summary>The names of the power sources as configuration, replies and telemetry spell them.</summary>
public static class PowerSourceNames
{
    public const string Auto = "auto";
    public const string Ina219 = "ina219";
    public const string Ina236 = "ina236";
    public const string Hwmon = "hwmon";
    public const string Rapl = "rapl";
    public const string Pi5Pmic = "pi5-pmic";
    public const string Estimated = "estimated";
}
