using EdgeLlm.Device.Power;
using NUnit.Framework;

namespace EdgeLlm.Device.Tests.Power;

/// <summary>The Pi 5 PMIC source on canned <c>vcgencmd pmic_read_adc</c> output.</summary>
public class Pi5PmicTests
{
    // V × A of the twelve rails that have both, written out from the canned output
    private const double Sum =
        (3.71634500 * 0.00390372) + (3.31004400 * 0.05562420) + (1.79962800 * 0.16493400) + (1.11086800 * 0.02049750)
        + (0.60561900 * 0.00000000) + (1.10402000 * 0.18447500) + (0.80100000 * 0.34064460) + (0.72069000 * 0.74682000)
        + (3.30603000 * 0.00048840) + (3.30786000 * 0.00036630) + (0.79882000 * 0.00000000) + (5.14002000 * 0.02014200);

    [Test]
    public void ParsePairsCurrentAndVoltageByRailNameNotIndex()
    {
        var rails = Pi5PmicMonitor.Parse(CannedPmicAdc.Pi5Output);
        Assert.That(rails, Has.Count.EqualTo(14));
        var core = rails.Single(r => r.Name == "VDD_CORE");
        Assert.That(core.Amps, Is.EqualTo(0.74682));
        Assert.That(core.Volts, Is.EqualTo(0.72069));
        Assert.That(rails.Single(r => r.Name == "0V8_AON").Volts, Is.EqualTo(0.79882), "A at index 16, V at 19");
        var ext = rails.Single(r => r.Name == "EXT5V");
        Assert.That(ext.Amps, Is.Null);
        Assert.That(ext.Watts, Is.Null);
        Assert.That(rails.Count(r => r.Watts is not null), Is.EqualTo(12));
    }

    [Test]
    public void ReadingIsTheSumOfVTimesIOverPairedRailsLabelledPartial()
    {
        using var m = new Pi5PmicMonitor(new CannedPmicAdc(CannedPmicAdc.Pi5Output));
        var r = m.Read();
        Assert.That(r.Watts, Is.EqualTo(Sum).Within(1e-12));
        Assert.That(r.Volts, Is.EqualTo(5.133), "the 5 V input's voltage");
        Assert.That(r.Amps, Is.Null);
        Assert.That(m.Description, Does.StartWith("partial: SoC PMIC rails, not the 5 V input"));
        Assert.That(m.IsEstimate, Is.False);
    }

    [Test]
    public void LinearCorrectionIsApplied()
    {
        using var m = new Pi5PmicMonitor(new CannedPmicAdc(CannedPmicAdc.Pi5Output), new Pi5CorrectionOptions { A = 1.25, B = 1.9 });
        Assert.That(m.Read().Watts, Is.EqualTo((1.25 * Sum) + 1.9).Within(1e-12));
        Assert.That(m.Description, Does.Contain("1.25"));
    }

    [Test]
    public void ChangingOutputIsReadAnew()
    {
        var adc = new CannedPmicAdc(CannedPmicAdc.Pi5Output);
        using var m = new Pi5PmicMonitor(adc);
        adc.Text = "  VDD_CORE_A current(7)=2.50000000A\n  VDD_CORE_V volt(15)=0.80000000V\n  EXT5V_V volt(24)=5.0V\n";
        Assert.That(m.Read().Watts, Is.EqualTo(2.0).Within(1e-12));
        Assert.That(adc.Reads, Is.EqualTo(2), "once to open, once per reading");
    }

    [Test]
    public void OutputWithoutPairsIsAbsent()
    {
        // a Pi 4 answers the command with an error text and no rail lines
        var e = Assert.Throws<PowerSourceException>(() => new Pi5PmicMonitor(new CannedPmicAdc("error=2 error_msg=\"Invalid arguments\"\n")));
        Assert.That(e!.Message, Does.StartWith("pi5-pmic:"));
        Assert.Throws<PowerSourceException>(() => new Pi5PmicMonitor(new CannedPmicAdc("  EXT5V_V volt(24)=5.13300000V\n")));
    }
}
