using EdgeLlm.Device.Power;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace EdgeLlm.Device.Tests.Power;

/// <summary>hwmon and powercap RAPL on sysfs trees in a temp folder.</summary>
public class SysfsSourceTests
{
    [Test]
    public void HwmonPowerInputIsMicrowattsAndNamesTheSensor()
    {
        using var tree = new TempTree();
        tree.Write("hwmon0/name", "cpu_thermal");
        tree.Write("hwmon0/temp1_input", "48000");
        tree.Write("hwmon3/name", "ina219");
        tree.Write("hwmon3/power1_input", "4200000");
        tree.Write("hwmon3/in0_input", "98");     // ina2xx: shunt voltage, no curr0
        tree.Write("hwmon3/in1_input", "5080");   // bus voltage
        tree.Write("hwmon3/curr1_input", "827");
        using var m = HwmonMonitor.TryOpen(tree.Root, TimeProvider.System, out string reason);
        Assert.That(m, Is.Not.Null, reason);
        var r = m!.Read();
        Assert.That(r.Watts, Is.EqualTo(4.2).Within(1e-12));
        Assert.That(r.Volts, Is.EqualTo(5.08).Within(1e-12), "in1 pairs with curr1");
        Assert.That(r.Amps, Is.EqualTo(0.827).Within(1e-12));
        Assert.That(m.HasEnergyCounter, Is.False);
        Assert.That(m.Description, Does.Contain("'ina219'").And.Contain("hwmon3"));

        tree.Write("hwmon3/power1_input", "3100000");
        Assert.That(m.Read().Watts, Is.EqualTo(3.1).Within(1e-12), "read anew every time");
    }

    [Test]
    public void HwmonEnergyInputIsAMicrojouleCounter()
    {
        using var tree = new TempTree();
        tree.Write("hwmon1/name", "energy_meter");
        tree.Write("hwmon1/energy1_input", "5000000000");
        var time = new FakeTimeProvider();
        using var m = HwmonMonitor.TryOpen(tree.Root, time, out string reason);
        Assert.That(m, Is.Not.Null, reason);
        Assert.That(m!.HasEnergyCounter, Is.True);
        time.Advance(TimeSpan.FromSeconds(2));
        tree.Write("hwmon1/energy1_input", "5010000000");
        var r = m.Read();
        Assert.That(r.EnergyJoules, Is.EqualTo(10.0).Within(1e-9), "since the monitor opened");
        Assert.That(r.Watts, Is.EqualTo(5.0).Within(1e-9), "10 J in 2 s");
        time.Advance(TimeSpan.FromSeconds(4));
        tree.Write("hwmon1/energy1_input", "5022000000");
        r = m.Read();
        Assert.That(r.EnergyJoules, Is.EqualTo(22.0).Within(1e-9));
        Assert.That(r.Watts, Is.EqualTo(3.0).Within(1e-9), "12 J in the 4 s since the previous reading");
    }

    [Test]
    public void HwmonWithPowerAndEnergyTakesWattsFromPowerAndEnergyFromTheCounter()
    {
        using var tree = new TempTree();
        tree.Write("hwmon0/name", "acpi_meter");
        tree.Write("hwmon0/power1_input", "12500000");
        tree.Write("hwmon0/energy1_input", "1000000");
        var time = new FakeTimeProvider();
        using var m = HwmonMonitor.TryOpen(tree.Root, time, out string reason);
        Assert.That(m, Is.Not.Null, reason);
        time.Advance(TimeSpan.FromSeconds(1));
        tree.Write("hwmon0/energy1_input", "11000000");
        var r = m!.Read();
        Assert.That(r.Watts, Is.EqualTo(12.5).Within(1e-12));
        Assert.That(r.EnergyJoules, Is.EqualTo(10.0).Within(1e-12));
        Assert.That(m.HasEnergyCounter, Is.True);
        Assert.That(m.Description, Does.Contain("power1_input + energy1_input"));
    }

    [Test]
    public void HwmonVoltsTimesAmpsWhenThereIsNoPower()
    {
        using var tree = new TempTree();
        tree.Write("hwmon2/name", "rpi_volt");
        tree.Write("hwmon2/in0_lcrit_alarm", "0");
        tree.Write("hwmon10/name", "ina3221");
        tree.Write("hwmon10/in1_input", "5120");
        tree.Write("hwmon10/curr1_input", "640");
        tree.Write("hwmon10/in2_input", "3300");
        tree.Write("hwmon10/curr2_input", "100");
        using var m = HwmonMonitor.TryOpen(tree.Root, TimeProvider.System, out string reason);
        Assert.That(m, Is.Not.Null, reason);
        var r = m!.Read();
        Assert.That(r.Watts, Is.EqualTo(5.12 * 0.64).Within(1e-12), "channel 1 only");
        Assert.That(m.Description, Does.Contain("in1_input × curr1_input"));
    }

    [Test]
    public void HwmonPrefersPowerInALaterSensorOverAPairInAnEarlierOne()
    {
        using var tree = new TempTree();
        tree.Write("hwmon1/name", "BAT0");
        tree.Write("hwmon1/in1_input", "12000");
        tree.Write("hwmon1/curr1_input", "500");
        tree.Write("hwmon2/name", "ina226");
        tree.Write("hwmon2/power1_input", "7000000");
        using var m = HwmonMonitor.TryOpen(tree.Root, TimeProvider.System, out _);
        Assert.That(m!.Sensor, Is.EqualTo("ina226"));
        Assert.That(m.Read().Watts, Is.EqualTo(7.0).Within(1e-12));
    }

    [Test]
    public void HwmonWithoutPowerSensorsIsAbsentWithTheirNames()
    {
        using var tree = new TempTree();
        tree.Write("hwmon0/name", "cpu_thermal");
        tree.Write("hwmon0/temp1_input", "48000");
        tree.Write("hwmon1/name", "pwmfan");
        tree.Write("hwmon1/in1_input", "5000"); // a voltage without a current
        Assert.That(HwmonMonitor.TryOpen(tree.Root, TimeProvider.System, out string reason), Is.Null);
        Assert.That(reason, Does.Contain("cpu_thermal").And.Contain("pwmfan"));
        Assert.That(HwmonMonitor.TryOpen(tree.Path("missing"), TimeProvider.System, out reason), Is.Null);
        Assert.That(reason, Does.StartWith("hwmon: no sensors"));
    }

    private static void RaplZone(TempTree tree, string zone, string name, ulong energy, ulong max)
    {
        tree.Write($"{zone}/name", name);
        tree.Write($"{zone}/energy_uj", energy.ToString(System.Globalization.CultureInfo.InvariantCulture));
        tree.Write($"{zone}/max_energy_range_uj", max.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Test]
    public void RaplUnfoldsTheWrapAtMaxEnergyRange()
    {
        using var tree = new TempTree();
        RaplZone(tree, "intel-rapl:0", "package-0", 262_000_000_000, 262_143_328_850);
        RaplZone(tree, "intel-rapl:0:0", "core", 1_000, 262_143_328_850);       // inside the package: not added
        RaplZone(tree, "intel-rapl:1", "psys", 5_000, 262_143_328_850);         // platform zone: not a package
        tree.Write("intel-rapl/enabled", "1");                                  // the control type folder
        var time = new FakeTimeProvider();
        using var m = RaplMonitor.TryOpen(tree.Root, time, out string reason);
        Assert.That(m, Is.Not.Null, reason);
        Assert.That(m!.HasEnergyCounter, Is.True);
        Assert.That(m.Description, Does.Contain("package-0").And.Contain("CPU package"));

        time.Advance(TimeSpan.FromSeconds(1));
        tree.Write("intel-rapl:0/energy_uj", "262100000000");
        Assert.That(m.Read().EnergyJoules, Is.EqualTo(100.0).Within(1e-6));

        // 43 328 850 µJ to the top, wrap to 0, then 56 671 150 more: 100 J in 2 s
        time.Advance(TimeSpan.FromSeconds(2));
        tree.Write("intel-rapl:0/energy_uj", "56671150");
        var r = m.Read();
        Assert.That(r.EnergyJoules, Is.EqualTo(200.0).Within(1e-6));
        Assert.That(r.Watts, Is.EqualTo(50.0).Within(1e-6));
        Assert.That(r.Volts, Is.Null);
    }

    [Test]
    public void RaplSumsPackagesIncludingAmdZones()
    {
        using var tree = new TempTree();
        RaplZone(tree, "amd-rapl:0", "package-0", 1_000_000, 4_294_967_295);
        RaplZone(tree, "amd-rapl:1", "package-1", 2_000_000, 4_294_967_295);
        var time = new FakeTimeProvider();
        using var m = RaplMonitor.TryOpen(tree.Root, time, out string reason);
        Assert.That(m, Is.Not.Null, reason);
        time.Advance(TimeSpan.FromSeconds(1));
        tree.Write("amd-rapl:0/energy_uj", "4000000");
        tree.Write("amd-rapl:1/energy_uj", "2500000");
        var r = m!.Read();
        Assert.That(r.EnergyJoules, Is.EqualTo(3.5).Within(1e-9));
        Assert.That(r.Watts, Is.EqualTo(3.5).Within(1e-9));
    }

    [Test]
    public void RaplWithoutPackageZonesIsAbsent()
    {
        using var tree = new TempTree();
        RaplZone(tree, "intel-rapl:0", "psys", 1, 10);
        Assert.That(RaplMonitor.TryOpen(tree.Root, TimeProvider.System, out string reason), Is.Null);
        Assert.That(reason, Does.StartWith("rapl: no package zone"));
    }
}
