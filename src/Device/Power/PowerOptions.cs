namespace EdgeLlm.Device.Power;

/// <summary>
/// Section "EdgeLlm:Power" (docs/power.md). The host binds it and calls <see cref="Validate"/>; nothing here reads
/// configuration itself.
/// </summary>
public sealed record PowerOptions
{
    /// <summary>The sources in the order <c>auto</c> tries them.</summary>
    public static IReadOnlyList<string> Sources { get; } =
        [PowerSourceNames.Ina219, PowerSourceNames.Ina236, PowerSourceNames.Hwmon, PowerSourceNames.Rapl, PowerSourceNames.Pi5Pmic, PowerSourceNames.Estimated];

    /// <summary>auto | ina219 | ina236 | hwmon | rapl | pi5-pmic | estimated.</summary>
    public string Source { get; set; } = PowerSourceNames.Auto;

    /// <summary>Linux I2C bus number (/dev/i2c-N); 1 is the Raspberry Pi header's GPIO2/GPIO3.</summary>
    public int I2cBus { get; set; } = 1;

    /// <summary>7-bit address of the INA chip; 64 = 0x40, both chips with A0 and A1 to GND.</summary>
    public int I2cAddress { get; set; } = 0x40;

    /// <summary>Shunt resistor; 0.1 Ω is what the common INA219 breakout boards carry.</summary>
    public double ShuntOhms { get; set; } = 0.1;

    /// <summary>Largest current to measure; sets the current LSB (MaxCurrentAmps / 2^15).</summary>
    public double MaxCurrentAmps { get; set; } = 3.2;

    public string HwmonRoot { get; set; } = "/sys/class/hwmon";

    public string PowercapRoot { get; set; } = "/sys/class/powercap";

    /// <summary>pi5-pmic watts = A·ΣVI + B.</summary>
    public Pi5CorrectionOptions Pi5Correction { get; set; } = new();

    /// <summary>The estimate's power with every core idle (Raspberry Pi 5 figures, docs/power.md).</summary>
    public double EstimatedIdleWatts { get; set; } = 2.5;

    /// <summary>The estimate's extra power per fully busy core (docs/power.md).</summary>
    public double EstimatedWattsPerCore { get; set; } = 1.5;

    /// <summary>Samples per second when a window's energy is integrated from power readings (no counter).</summary>
    public double SampleHz { get; set; } = 10;

    /// <summary>Period of the service's power telemetry.</summary>
    public double PublishIntervalSeconds { get; set; } = 10;

    /// <summary>One line per invalid value, each naming the key; empty when valid.</summary>
    public IEnumerable<string> Validate()
    {
        const string p = "EdgeLlm:Power:";
        if (Source != PowerSourceNames.Auto && !Sources.Contains(Source))
        {
            yield return $"{p}Source: '{Source}' is not one of auto, {string.Join(", ", Sources)}";
        }

        if (I2cBus is < 0 or > 255)
        {
            yield return $"{p}I2cBus: must be 0-255, got {I2cBus}";
        }

        if (I2cAddress is < 0x03 or > 0x77)
        {
            yield return $"{p}I2cAddress: must be a 7-bit address 3-119 (0x03-0x77), got {I2cAddress}";
        }

        if (!(ShuntOhms > 0) || double.IsInfinity(ShuntOhms))
        {
            yield return $"{p}ShuntOhms: must be > 0, got {ShuntOhms}";
        }

        if (!(MaxCurrentAmps > 0) || double.IsInfinity(MaxCurrentAmps))
        {
            yield return $"{p}MaxCurrentAmps: must be > 0, got {MaxCurrentAmps}";
        }

        if (string.IsNullOrWhiteSpace(HwmonRoot))
        {
            yield return $"{p}HwmonRoot: must be a folder";
        }

        if (string.IsNullOrWhiteSpace(PowercapRoot))
        {
            yield return $"{p}PowercapRoot: must be a folder";
        }

        if (Pi5Correction is null)
        {
            yield return $"{p}Pi5Correction: must have A and B";
        }
        else if (!double.IsFinite(Pi5Correction.A) || !(Pi5Correction.A > 0) || !double.IsFinite(Pi5Correction.B))
        {
            yield return $"{p}Pi5Correction: A must be > 0 and B finite, got A={Pi5Correction.A}, B={Pi5Correction.B}";
        }

        if (!double.IsFinite(EstimatedIdleWatts) || EstimatedIdleWatts < 0)
        {
            yield return $"{p}EstimatedIdleWatts: must be >= 0, got {EstimatedIdleWatts}";
        }

        if (!double.IsFinite(EstimatedWattsPerCore) || EstimatedWattsPerCore < 0)
        {
            yield return $"{p}EstimatedWattsPerCore: must be >= 0, got {EstimatedWattsPerCore}";
        }

        // 10 Hz is the floor the energy figures promise; above 1 kHz the I2C reads alone would fill the bus time.
        if (!(SampleHz >= 10 && SampleHz <= 1000))
        {
            yield return $"{p}SampleHz: must be 10-1000, got {SampleHz}";
        }

        if (!(PublishIntervalSeconds >= 1 && PublishIntervalSeconds <= 86400))
        {
            yield return $"{p}PublishIntervalSeconds: must be 1-86400, got {PublishIntervalSeconds}";
        }
    }
}
