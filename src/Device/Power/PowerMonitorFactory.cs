namespace EdgeLlm.Device.Power;

/// <summary>
/// Opens the configured power source, or with <c>auto</c> the first present one in the order ina219, ina236, hwmon,
/// rapl, pi5-pmic, estimated (docs/power.md). In auto mode an absent source is skipped with a note; a chosen source
/// that is absent is a <see cref="PowerSourceException"/> naming it and the fix.
/// </summary>
public static class PowerMonitorFactory
{
    private const string I2cFix = "enable I2C: sudo raspi-config nonint do_i2c 0; add the user to the i2c group";

    /// <param name="options">Validated options (invalid ones throw <see cref="ArgumentException"/>).</param>
    /// <param name="platform">Seams; null = the real machine.</param>
    /// <param name="notes">Receives one line per source auto-detection skipped and why.</param>
    public static IPowerMonitor Open(PowerOptions options, PowerPlatform? platform = null, ICollection<string>? notes = null)
    {
        var errors = options.Validate().ToList();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", errors));
        }

        platform ??= PowerPlatform.Default;
        if (options.Source != PowerSourceNames.Auto)
        {
            return TryOpen(options.Source, options, platform, out string reason) ?? throw new PowerSourceException(reason);
        }

        foreach (string source in PowerOptions.Sources)
        {
            var monitor = TryOpen(source, options, platform, out string reason);
            if (monitor is not null)
            {
                return monitor;
            }

            notes?.Add(reason);
        }

        throw new PowerSourceException("no power source, not even the estimate: " + string.Join("; ", notes ?? []));
    }

    /// <summary>One source, or null with the one-line reason it is absent.</summary>
    public static IPowerMonitor? TryOpen(string source, PowerOptions options, PowerPlatform platform, out string reason)
    {
        try
        {
            reason = "";
            switch (source)
            {
                case PowerSourceNames.Ina219:
                case PowerSourceNames.Ina236:
                    return OpenIna(source, options, platform, out reason);
                case PowerSourceNames.Hwmon:
                    return HwmonMonitor.TryOpen(options.HwmonRoot, platform.Time, out reason);
                case PowerSourceNames.Rapl:
                    return RaplMonitor.TryOpen(options.PowercapRoot, platform.Time, out reason);
                case PowerSourceNames.Pi5Pmic:
                    return new Pi5PmicMonitor(platform.PmicAdc, options.Pi5Correction, platform.Time);
                case PowerSourceNames.Estimated:
                    return new EstimatedMonitor(platform.ProcStatPath, options.EstimatedIdleWatts, options.EstimatedWattsPerCore, platform.Time);
                default:
                    reason = $"'{source}' is not a power source (one of {string.Join(", ", PowerOptions.Sources)})";
                    return null;
            }
        }
        catch (PowerSourceException e)
        {
            reason = e.Message;
            return null;
        }
    }

    private static IPowerMonitor? OpenIna(string source, PowerOptions options, PowerPlatform platform, out string reason)
    {
        string bus = platform.I2c.Describe(options.I2cBus);
        string where = $"at 0x{options.I2cAddress:x2} on I2C bus {options.I2cBus}";
        var device = platform.I2c.Open(options.I2cBus, options.I2cAddress);
        if (device is null)
        {
            reason = $"{source}: I2C bus {options.I2cBus} ({bus}) does not exist: {I2cFix}";
            return null;
        }

        try
        {
            var chip = InaProbe.Identify(device);
            string want = source == PowerSourceNames.Ina219 ? "INA219" : "INA236";
            if (chip == InaChip.None)
            {
                device.Dispose();
                reason = $"{source}: no {want} answers {where} (i2cdetect -y {options.I2cBus}; check SDA/SCL/3.3 V/GND and Power:I2cAddress)";
                return null;
            }

            if ((chip == InaChip.Ina219) != (source == PowerSourceNames.Ina219))
            {
                device.Dispose();
                reason = $"{source}: the chip {where} is an {(chip == InaChip.Ina219 ? "INA219" : "INA236")}, not an {want}: set Power:Source to {(chip == InaChip.Ina219 ? PowerSourceNames.Ina219 : PowerSourceNames.Ina236)} or auto";
                return null;
            }

            reason = "";
            return chip == InaChip.Ina219
                ? new Ina219Monitor(device, options.ShuntOhms, options.MaxCurrentAmps, platform.Time, where)
                : new Ina236Monitor(device, options.ShuntOhms, options.MaxCurrentAmps, platform.Time, where);
        }
        catch (IOException e)
        {
            device.Dispose();
            reason = $"{source}: I2C transfer {where} failed: {e.Message}";
            return null;
        }
        catch (PowerSourceException)
        {
            device.Dispose();
            throw;
        }
    }
}
