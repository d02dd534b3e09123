using EdgeLlm.Device.Power;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace EdgeLlm.Device.Tests.Power;

/// <summary>INA219 and INA236 through Iot.Device.Bindings on simulated register maps, checked against the datasheets' conversions.</summary>
public class InaTests
{
    [Test]
    public void Ina219WritesTheDatasheetCalibrationBigEndian()
    {
        var chip = new SimulatedIna219();
        using var monitor = new Ina219Monitor(chip, 0.1, 3.2);

        // current_LSB = 3.2 A / 2^15 = 97.65625 µA; CAL = trunc(0.04096 / (97.65625e-6 × 0.1)) = trunc(4194.304) = 4194 = 0x1062
        Assert.That(monitor.Calibration, Is.EqualTo(4194));
        Assert.That(chip[5], Is.EqualTo(4194), "calibration register as read back from the chip");
        Assert.That(chip.Writes.Last(w => w[0] == 5), Is.EqualTo(new byte[] { 0x05, 0x10, 0x62 }), "pointer, MSB, LSB");
        Assert.That(monitor.NominalCurrentLsb, Is.EqualTo(3.2 / 32768));
        Assert.That(monitor.CurrentLsb, Is.EqualTo(0.04096 / (4194 * 0.1)).Within(1e-15));

        // configuration: reset first, then continuous shunt and bus (mode 7), PGA /8 (320 mV: 0.1 Ω × 3.2 A), 32 V range, 12-bit
        Assert.That(chip.Writes.First(), Is.EqualTo(new byte[] { 0x00, 0x80, 0x00 }));
        Assert.That(chip[0] & 0x7, Is.EqualTo(7));
        Assert.That((chip[0] >> 11) & 0x3, Is.EqualTo(3));
        Assert.That((chip[0] >> 13) & 0x1, Is.EqualTo(1));
        Assert.That((chip[0] >> 7) & 0xF, Is.EqualTo(3), "bus ADC 12-bit");
        Assert.That((chip[0] >> 3) & 0xF, Is.EqualTo(3), "shunt ADC 12-bit");
    }

    [TestCase((ushort)10239, (ushort)2559, (ushort)(1250 << 3))]
    [TestCase((ushort)0xFC18, (ushort)0, (ushort)((1275 << 3) | 0x2))]
    [TestCase((ushort)32767, (ushort)65535, (ushort)(8000 << 3))]
    public void Ina219ReadingsAreTheDatasheetConversionOfTheRegisters(ushort current, ushort power, ushort bus)
    {
        var chip = new SimulatedIna219();
        using var monitor = new Ina219Monitor(chip, 0.1, 3.2);
        chip[4] = current;
        chip[3] = power;
        chip[2] = bus;
        var r = monitor.Read();

        double lsb = 0.04096 / (4194 * 0.1);
        Assert.That(r.Amps, Is.EqualTo((short)current * lsb).Within(1e-12), "current register is two's complement");
        Assert.That(r.Watts, Is.EqualTo(power * 20 * lsb).Within(1e-12), "power LSB = 20 × current LSB");
        Assert.That(r.Volts, Is.EqualTo((bus >> 3) * 0.004).Within(1e-12), "bus voltage in bits 15-3, 4 mV");
        Assert.That(r.EnergyJoules, Is.Null);
        Assert.That(chip[5], Is.EqualTo(4194), "calibration still in place after the reads");
    }

    [Test]
    public void Ina219MeasuresOneAmpAtFiveVoltsThroughTheChipsArithmetic()
    {
        var chip = new SimulatedIna219 { Physics = (0.1, 5.0) }; // 1 A through 0.1 Ω
        using var monitor = new Ina219Monitor(chip, 0.1, 3.2);
        var r = monitor.Read();
        Assert.That(r.Amps, Is.EqualTo(1.0).Within(0.0005));
        Assert.That(r.Volts, Is.EqualTo(5.0).Within(1e-9));
        Assert.That(r.Watts, Is.EqualTo(5.0).Within(0.005));
    }

    [Test]
    public void Ina219RefusesAShuntRangeBeyond320Millivolts()
    {
        var e = Assert.Throws<PowerSourceException>(() => new Ina219Monitor(new SimulatedIna219(), 0.1, 4.0));
        Assert.That(e!.Message, Does.Contain("320 mV").And.Contain("MaxCurrentAmps"));
    }

    [Test]
    public void Ina236WritesTheDatasheetCalibration()
    {
        var chip = new SimulatedIna236();
        using var monitor = new Ina236Monitor(chip, 0.008, 10);

        // current_LSB = 10 A / 2^15 = 305.17578125 µA; SHUNT_CAL = trunc(0.00512 / (305.17578125e-6 × 0.008)) = trunc(2097.152) = 2097 = 0x0831
        Assert.That(monitor.Calibration, Is.EqualTo(2097));
        Assert.That(chip[5], Is.EqualTo(2097));
        Assert.That(chip.LastWritten(5), Is.EqualTo(2097));
        Assert.That(chip.Writes.Last(w => w[0] == 5), Is.EqualTo(new byte[] { 0x05, 0x08, 0x31 }));
        Assert.That(monitor.CurrentLsb, Is.EqualTo(0.00512 / (2097 * 0.008)).Within(1e-15));
        Assert.That(chip[0] & 0x7, Is.EqualTo(7), "continuous shunt and bus");
        Assert.That((chip[0] >> 9) & 0x7, Is.EqualTo(2), "16 averaged samples");
    }

    [TestCase((ushort)3276, (ushort)3125, (ushort)1600)]
    [TestCase((ushort)0xFF38, (ushort)3100, (ushort)0)]
    public void Ina236ReadingsAreTheDatasheetConversionOfTheRegisters(ushort current, ushort bus, ushort power)
    {
        var chip = new SimulatedIna236();
        using var monitor = new Ina236Monitor(chip, 0.008, 10);
        chip[4] = current;
        chip[2] = bus;
        chip[3] = power;
        var r = monitor.Read();
        double lsb = 0.00512 / (2097 * 0.008);
        Assert.That(r.Amps, Is.EqualTo((short)current * lsb).Within(1e-12));
        Assert.That(r.Volts, Is.EqualTo(bus * 0.0016).Within(1e-12), "1.6 mV");
        Assert.That(r.Watts, Is.EqualTo(power * 32 * lsb).Within(1e-12), "power LSB = 32 × current LSB");
    }

    [Test]
    public void Ina236MeasuresTwoAmpsAtFiveVoltsThroughTheChipsArithmetic()
    {
        var chip = new SimulatedIna236 { Physics = (2.0 * 0.008, 5.1) };
        using var monitor = new Ina236Monitor(chip, 0.008, 10);
        var r = monitor.Read();
        Assert.That(r.Amps, Is.EqualTo(2.0).Within(0.001));
        Assert.That(r.Volts, Is.EqualTo(5.1).Within(0.0016));
        Assert.That(r.Watts, Is.EqualTo(10.2).Within(0.02));
    }

    [Test]
    public void Ina236RefusesTheIna219DefaultShunt()
    {
        var e = Assert.Throws<PowerSourceException>(() => new Ina236Monitor(new SimulatedIna236(), 0.1, 3.2));
        Assert.That(e!.Message, Does.Contain("81.92 mV").And.Contain("ShuntOhms"));
    }

    [Test]
    public void ProbeTellsTheChipsApartAndAnEmptyAddress()
    {
        Assert.That(InaProbe.Identify(new SimulatedIna219()), Is.EqualTo(InaChip.Ina219));
        Assert.That(InaProbe.Identify(new SimulatedIna236()), Is.EqualTo(InaChip.Ina236));
        var opener = new FakeI2cOpener { Buses = { 1 } };
        Assert.That(InaProbe.Identify(opener.Open(1, 0x40)!), Is.EqualTo(InaChip.None));

        // something else at 0x40 whose configuration has bit 14 set (an INA219 reads it 0)
        var other = new SimulatedIna219();
        other[0] = 0x4000;
        Assert.That(InaProbe.Identify(other), Is.EqualTo(InaChip.None));
    }

    [Test]
    public void MonitorsOwnTheirDevice()
    {
        var a = new SimulatedIna219();
        new Ina219Monitor(a, 0.1, 3.2).Dispose();
        var b = new SimulatedIna236();
        new Ina236Monitor(b, 0.008, 10).Dispose();
        Assert.That(a.Disposed && b.Disposed, Is.True);
    }

    [Test]
    public void ReadingsCarryTheClocksTime()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        using var monitor = new Ina219Monitor(new SimulatedIna219(), 0.1, 3.2, time);
        Assert.That(monitor.Read().Timestamp, Is.EqualTo(time.GetUtcNow()));
    }
}
