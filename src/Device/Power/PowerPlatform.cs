namespace EdgeLlm.Device.Power;

/// <summary>
/// What the power sources reach outside the process, as seams: the I2C bus, vcgencmd, /proc/stat and the clock.
/// The sysfs roots are options (<see cref="PowerOptions.HwmonRoot"/>, <see cref="PowerOptions.PowercapRoot"/>).
/// </summary>
public sealed record PowerPlatform
{
    /// <summary>The real machine.</summary>
    public static PowerPlatform Default { get; } = new();

    public II2cOpener I2c { get; init; } = new LinuxI2cOpener();

    public IPmicAdcReader PmicAdc { get; init; } = new VcgencmdPmicAdcReader();

    /// <summary>System CPU time for the estimate.</summary>
    public string ProcStatPath { get; init; } = "/proc/stat";

    public TimeProvider Time { get; init; } = TimeProvider.System;
}
