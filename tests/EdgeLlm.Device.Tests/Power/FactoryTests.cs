using EdgeLlm.Device.Power;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace EdgeLlm.Device.Tests.Power;

/// <summary>Auto-detection order and the errors of a chosen source that is absent, over combined fake trees.</summary>
public class FactoryTests
{
    private sealed class Board : IDisposable
    {
        public TempTree Tree { get; } = new();

        public FakeI2cOpener I2c { get; } = new();

        public CannedPmicAdc Pmic { get; set; } = new(null, "pi5-pmic: vcgencmd not found");

        public PowerOptions Options => new() { HwmonRoot = Tree.Path("hwmon"), PowercapRoot = Tree.Path("powercap") };

        public PowerPlatform Platform => new()
        {
            I2c = I2c,
            PmicAdc = Pmic,
            ProcStatPath = Tree.Write("proc/stat", "cpu  10 0 10 100 0 0 0 0 0 0\ncpu0 10 0 10 100 0 0 0 0 0 0"),
            Time = new FakeTimeProvider(),
        };

        public void AddHwmon()
        {
            Tree.Write("hwmon/hwmon0/name", "ina226");
            Tree.Write("hwmon/hwmon0/power1_input", "6000000");
        }

        public void AddRapl()
        {
            Tree.Write("powercap/intel-rapl:0/name", "package-0");
            Tree.Write("powercap/intel-rapl:0/energy_uj", "1000");
            Tree.Write("powercap/intel-rapl:0/max_energy_range_uj", "262143328850");
        }

        public void Dispose() => Tree.Dispose();
    }

    private static string OpenAuto(Board b, List<string> notes)
    {
        using var m = PowerMonitorFactory.Open(b.Options, b.Platform, notes);
        return m.Source;
    }

    [Test]
    public void AutoTriesTheSourcesInOrder()
    {
        using var b = new Board();
        var notes = new List<string>();
        Assert.That(OpenAuto(b, notes), Is.EqualTo("estimated"));
        Assert.That(notes, Has.Count.EqualTo(5));
        Assert.That(notes[0], Does.StartWith("ina219: I2C bus 1").And.Contain("does not exist"));
        Assert.That(notes[1], Does.StartWith("ina236:"));
        Assert.That(notes[2], Does.StartWith("hwmon:"));
        Assert.That(notes[3], Does.StartWith("rapl:"));
        Assert.That(notes[4], Does.StartWith("pi5-pmic:"));

        b.Pmic = new CannedPmicAdc(CannedPmicAdc.Pi5Output);
        Assert.That(OpenAuto(b, []), Is.EqualTo("pi5-pmic"));
        b.AddRapl();
        Assert.That(OpenAuto(b, []), Is.EqualTo("rapl"));
        b.AddHwmon();
        Assert.That(OpenAuto(b, []), Is.EqualTo("hwmon"));

        // the bus exists but nothing answers: still not present
        b.I2c.Buses.Add(1);
        notes.Clear();
        Assert.That(OpenAuto(b, notes), Is.EqualTo("hwmon"));
        Assert.That(notes[0], Does.Contain("no INA219 answers at 0x40 on I2C bus 1"));

        b.I2c.Devices[(1, 0x40)] = new SimulatedIna236();
        notes.Clear();
        Assert.That(OpenAuto(b, notes), Is.EqualTo("hwmon"), "the default 0.1 Ω shunt is out of the INA236's range");
        Assert.That(notes[1], Does.Contain("81.92 mV"));
        using (var m = PowerMonitorFactory.Open(b.Options with { ShuntOhms = 0.008, MaxCurrentAmps = 10 }, b.Platform))
        {
            Assert.That(m.Source, Is.EqualTo("ina236"));
        }

        b.I2c.Devices[(1, 0x40)] = new SimulatedIna219();
        Assert.That(OpenAuto(b, []), Is.EqualTo("ina219"));
    }

    [Test]
    public void AutoUsesTheConfiguredBusAndAddress()
    {
        using var b = new Board();
        b.I2c.Buses.Add(3);
        var chip = new SimulatedIna219(0x45);
        b.I2c.Devices[(3, 0x45)] = chip;
        using var m = PowerMonitorFactory.Open(b.Options with { I2cBus = 3, I2cAddress = 0x45 }, b.Platform);
        Assert.That(m.Source, Is.EqualTo("ina219"));
        Assert.That(m.Description, Does.Contain("0x45").And.Contain("bus 3"));
        Assert.That(chip[5], Is.EqualTo(4194));
    }

    [TestCase("ina219", "enable I2C: sudo raspi-config nonint do_i2c 0; add the user to the i2c group")]
    [TestCase("ina236", "enable I2C: sudo raspi-config nonint do_i2c 0")]
    [TestCase("hwmon", "hwmon: no sensors")]
    [TestCase("rapl", "rapl: no package zone")]
    [TestCase("pi5-pmic", "vcgencmd not found")]
    public void AChosenSourceThatIsAbsentIsAOneLineErrorWithTheFix(string source, string fix)
    {
        using var b = new Board();
        var e = Assert.Throws<PowerSourceException>(() => PowerMonitorFactory.Open(b.Options with { Source = source }, b.Platform));
        Assert.That(e!.Message, Does.StartWith(source + ":").And.Contain(fix));
        Assert.That(e.Message, Does.Not.Contain("\n"));
    }

    [Test]
    public void AChosenChipOfTheOtherKindIsNamed()
    {
        using var b = new Board();
        b.I2c.Buses.Add(1);
        b.I2c.Devices[(1, 0x40)] = new SimulatedIna236();
        var e = Assert.Throws<PowerSourceException>(() => PowerMonitorFactory.Open(b.Options with { Source = "ina219" }, b.Platform));
        Assert.That(e!.Message, Does.Contain("is an INA236").And.Contain("ina236 or auto"));
    }

    [Test]
    public void InvalidOptionsAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => PowerMonitorFactory.Open(new PowerOptions { Source = "solar" }));
        Assert.That(e!.Message, Does.Contain("EdgeLlm:Power:Source: 'solar'"));
    }

    [Test]
    public void OptionsValidateEachValue()
    {
        Assert.That(new PowerOptions().Validate(), Is.Empty);
        var bad = new PowerOptions
        {
            Source = "x",
            I2cBus = -1,
            I2cAddress = 0x80,
            ShuntOhms = 0,
            MaxCurrentAmps = double.NaN,
            Pi5Correction = new Pi5CorrectionOptions { A = 0 },
            EstimatedIdleWatts = -1,
            EstimatedWattsPerCore = double.PositiveInfinity,
            SampleHz = 5,
            PublishIntervalSeconds = 0,
            HwmonRoot = "",
        }.Validate().ToList();
        foreach (string key in new[] { "Source", "I2cBus", "I2cAddress", "ShuntOhms", "MaxCurrentAmps", "Pi5Correction", "EstimatedIdleWatts", "EstimatedWattsPerCore", "SampleHz", "PublishIntervalSeconds", "HwmonRoot" })
        {
            Assert.That(bad, Has.One.StartsWith($"EdgeLlm:Power:{key}:"), key);
        }

        Assert.That(bad, Has.Count.EqualTo(11));
    }
}
