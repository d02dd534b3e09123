using System.Device.I2c;
using Iot.Device.Adc;
using UnitsNet;

namespace EdgeLlm.Device.Power;

/// <summary>
/// An INA236 in the supply line through Iot.Device.Bindings' <see cref="Ina236"/> (docs/power.md). Datasheet
/// calibration with ADCRANGE = 0: current_LSB = MaxCurrentAmps / 2^15, SHUNT_CAL = trunc(0.00512 / (current_LSB ×
/// R_shunt)); current = register × 0.00512 / (SHUNT_CAL × R_shunt), power = register × 32 × that, bus 1.6 mV, shunt
/// 2.5 µV with a ±81.92 mV range.
/// </summary>
public sealed class Ina236Monitor : IPowerMonitor
{
    /// <summary>Shunt ADC full scale with ADCRANGE = 0 (2.5 µV × 2^15).</summary>
    public const double MaxShuntVolts = 0.08192;

    private readonly Ina236 _ina;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();

    public Ina236Monitor(I2cDevice device, double shuntOhms, double maxCurrentAmps, TimeProvider? time = null, string? where = null)
    {
        if (!(shuntOhms > 0) || !(maxCurrentAmps > 0))
        {
            throw new ArgumentException($"ina236: ShuntOhms and MaxCurrentAmps must be > 0, got {shuntOhms} and {maxCurrentAmps}");
        }

        double shuntFullScale = shuntOhms * maxCurrentAmps;
        if (shuntFullScale > MaxShuntVolts * (1 + 1e-9))
        {
            throw new PowerSourceException($"ina236: ShuntOhms × MaxCurrentAmps = {shuntFullScale * 1000:F1} mV exceeds the INA236's ±81.92 mV shunt range: set Power:ShuntOhms to the board's shunt (INA236 boards carry e.g. 0.008 Ω) and Power:MaxCurrentAmps");
        }

        NominalCurrentLsb = maxCurrentAmps / 32768;
        double exact = 0.00512 / (NominalCurrentLsb * shuntOhms);
        if (exact < 1 || exact > 32767)
        {
            // SHUNT_CAL is a 15-bit field
            throw new PowerSourceException($"ina236: calibration {exact:F0} for {shuntOhms} Ω and {maxCurrentAmps} A is outside the register's 1-32767: check Power:ShuntOhms and Power:MaxCurrentAmps");
        }

        Calibration = (ushort)Math.Truncate(exact);
        CurrentLsb = 0.00512 / (Calibration * shuntOhms);
        _time = time ?? TimeProvider.System;
        try
        {
            // The binding takes twice current / 2^15 as its LSB (headroom for rounding); half the maximum current makes
            // that the datasheet's MaxCurrentAmps / 2^15, so it writes SHUNT_CAL = Calibration and converts with CurrentLsb.
            _ina = new Ina236(device, ElectricResistance.FromOhms(shuntOhms), ElectricCurrent.FromAmperes(maxCurrentAmps / 2));
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            device.Dispose();
            throw new PowerSourceException($"ina236: {e.Message}", e);
        }

        _ina.OperatingMode = Ina236OperatingMode.ContinuousShuntAndBusVoltage;

        // 16 averaged pairs of 1.1 ms conversions: each reading covers 35 ms, a third of a 10 Hz sample period.
        _ina.AverageOverNoSamples = 16;
        Description = $"INA236{(where is null ? "" : " " + where)}: the supply line it is wired into (docs/power.md: the board's 5 V input)";
    }

    public string Source => PowerSourceNames.Ina236;

    public string Description { get; }

    public bool IsEstimate => false;

    public bool HasEnergyCounter => false;

    /// <summary>The value written to SHUNT_CAL (register 0x05).</summary>
    public ushort Calibration { get; }

    /// <summary>MaxCurrentAmps / 2^15, the datasheet's current_LSB before SHUNT_CAL is truncated.</summary>
    public double NominalCurrentLsb { get; }

    /// <summary>Amperes per count of the current register with <see cref="Calibration"/> written.</summary>
    public double CurrentLsb { get; }

    public PowerReading Read()
    {
        lock (_lock)
        {
            try
            {
                return new PowerReading((double)_ina.ReadPower().Watts, _ina.ReadBusVoltage().Volts, _ina.ReadCurrent().Amperes, null, _time.GetUtcNow());
            }
            catch (IOException e)
            {
                throw new PowerSourceException($"ina236: I2C read failed: {e.Message} (check the wiring)", e);
            }
        }
    }

    public void Dispose() => _ina.Dispose();
}
