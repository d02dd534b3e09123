using System.Device.I2c;
using Iot.Device.Adc;

namespace EdgeLlm.Device.Power;

/// <summary>
/// An INA219 in the supply line through Iot.Device.Bindings' <see cref="Ina219"/> (docs/power.md). Calibration per
/// the datasheet: current_LSB = MaxCurrentAmps / 2^15, CAL = trunc(0.04096 / (current_LSB × R_shunt)); the chip
/// then counts current in 0.04096 / (CAL × R_shunt) A (the truncation makes that slightly above current_LSB, so that
/// is the LSB used), power in 20 × that, bus voltage in 4 mV.
/// </summary>
public sealed class Ina219Monitor : IPowerMonitor
{
    /// <summary>Shunt ADC full scale with the PGA at /8.</summary>
    public const double MaxShuntVolts = 0.32;

    private readonly I2cDevice _device;
    private readonly Ina219 _ina;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();

    public Ina219Monitor(I2cDevice device, double shuntOhms, double maxCurrentAmps, TimeProvider? time = null, string? where = null)
    {
        double shuntFullScale = shuntOhms * maxCurrentAmps;
        if (!(shuntOhms > 0) || !(maxCurrentAmps > 0))
        {
            throw new ArgumentException($"ina219: ShuntOhms and MaxCurrentAmps must be > 0, got {shuntOhms} and {maxCurrentAmps}");
        }

        if (shuntFullScale > MaxShuntVolts * (1 + 1e-9))
        {
            throw new PowerSourceException($"ina219: ShuntOhms × MaxCurrentAmps = {shuntFullScale * 1000:F1} mV exceeds the INA219's ±320 mV shunt range: lower Power:MaxCurrentAmps or use a smaller shunt");
        }

        NominalCurrentLsb = maxCurrentAmps / 32768;
        double exact = 0.04096 / (NominalCurrentLsb * shuntOhms);
        if (exact < 1 || exact >= 65535)
        {
            throw new PowerSourceException($"ina219: calibration {exact:F0} for {shuntOhms} Ω and {maxCurrentAmps} A is outside the register's 1-65534: check Power:ShuntOhms and Power:MaxCurrentAmps");
        }

        // Bit 0 of the calibration register is void (always 0), so the value written is even.
        Calibration = (ushort)((ushort)Math.Truncate(exact) & 0xFFFE);
        CurrentLsb = 0.04096 / (Calibration * shuntOhms);
        _device = device;
        _time = time ?? TimeProvider.System;
        _ina = new Ina219(device);
        _ina.Reset();
        _ina.BusVoltageRange = Ina219BusVoltageRange.Range32v;
        _ina.PgaSensitivity = shuntFullScale <= 0.04 * (1 + 1e-9) ? Ina219PgaSensitivity.PlusOrMinus40mv
            : shuntFullScale <= 0.08 * (1 + 1e-9) ? Ina219PgaSensitivity.PlusOrMinus80mv
            : shuntFullScale <= 0.16 * (1 + 1e-9) ? Ina219PgaSensitivity.PlusOrMinus160mv
            : Ina219PgaSensitivity.PlusOrMinus320mv;

        // The ADCs stay at the reset default, single 12-bit conversions (532 µs): the binding busy-waits one conversion
        // time on each of the three register reads of a reading, so a 128-sample average would block 204 ms per
        // reading, longer than a 10 Hz period. (Its shunt-ADC setter also shifts the field into the wrong bits.)
        _ina.OperatingMode = Ina219OperatingMode.ShuntAndBusContinuous;

        // A unit LSB makes the binding return raw register counts (exact in its float arithmetic): the binding reads
        // the signed current register as unsigned, so the sign and the double-precision LSB are applied here.
        _ina.SetCalibration(Calibration, 1.0f);
        Description = $"INA219{(where is null ? "" : " " + where)}: the supply line it is wired into (docs/power.md: the board's 5 V input)";
    }

    public string Source => PowerSourceNames.Ina219;

    public string Description { get; }

    public bool IsEstimate => false;

    public bool HasEnergyCounter => false;

    /// <summary>The value written to the calibration register (0x05).</summary>
    public ushort Calibration { get; }

    /// <summary>MaxCurrentAmps / 2^15, the datasheet's current_LSB before CAL is truncated.</summary>
    public double NominalCurrentLsb { get; }

    /// <summary>Amperes per count of the current register with <see cref="Calibration"/> written.</summary>
    public double CurrentLsb { get; }

    public PowerReading Read()
    {
        lock (_lock)
        {
            try
            {
                int current = unchecked((short)(ushort)_ina.ReadCurrent().Amperes);
                double power = Math.Round((double)_ina.ReadPower().Watts / 20);
                double volts = _ina.ReadBusVoltage().Volts;

                // The binding sign-extends the bus register, which is unsigned (bits 15-3): above 16.38 V it goes negative.
                if (volts < 0)
                {
                    volts += 8192 * 0.004;
                }

                return new PowerReading(power * 20 * CurrentLsb, volts, current * CurrentLsb, null, _time.GetUtcNow());
            }
            catch (IOException e)
            {
                throw new PowerSourceException($"ina219: I2C read failed: {e.Message} (check the wiring)", e);
            }
        }
    }

    public void Dispose()
    {
        _ina.Dispose();
        _device.Dispose();
    }
}
