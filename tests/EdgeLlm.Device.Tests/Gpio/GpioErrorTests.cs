using System.Device.Gpio;
using System.Device.Gpio.Drivers;
using EdgeLlm.Device.Gpio;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace EdgeLlm.Device.Tests.Gpio;

/// <summary>
/// The exceptions System.Device.Gpio 4.2 throws, with its own message formats (LibGpiodDriver: IOException
/// "…, error: N (strerror)"; LibGpiodV2Driver: GpiodException "…: Error: 'strerror'"), thrown through the driver
/// seam; each must come out as one line naming the chip, the line and the fix.
/// </summary>
public class GpioErrorTests
{
    private static readonly GpioChipEntry[] Pi4 = [new(0, "pinctrl-bcm2711", 58), new(1, "raspberrypi-exp-gpio", 8)];

    private const string PermissionFix = "add the user to the gpio group: sudo usermod -aG gpio $USER, then log in "
        + "again (a systemd service: SupplementaryGroups=gpio)";

    private static GpioDeviceException OpenFails(GpioOptions options, Func<FakeTimeProvider, GpioDriver> driver,
        GpioChipEntry[]? chips = null)
    {
        var time = new FakeTimeProvider();
        var e = Assert.Throws<GpioDeviceException>(() => GpioDevices.Open(options with { Enabled = true }, time,
            _ => true, _ => new FakeChipTable(chips ?? Pi4), (_, _) => driver(time)))!;
        Assert.That(e.Message, Does.Not.Contain('\n').And.Not.Contain('\r'));
        return e;
    }

    private static IEnumerable<TestCaseData> PermissionDenied()
    {
        yield return new TestCaseData(new IOException("Unable to find a chip, error: 13 (Permission denied)"))
            .SetArgDisplayNames("v1");
        yield return new TestCaseData(new GpiodException("Could not open gpio chip at path '/dev/gpiochip0': Error: 'Permission denied'"))
            .SetArgDisplayNames("v2");
    }

    [TestCaseSource(nameof(PermissionDenied))]
    public void NoPermissionOnTheChip(Exception thrown)
    {
        var e = OpenFails(new GpioOptions(), _ => throw thrown);
        Assert.That(e.Message, Is.EqualTo($"no permission to open /dev/gpiochip0 (GPIO line 17): {PermissionFix}"));
        Assert.That(e.InnerException, Is.SameAs(thrown));
    }

    private static IEnumerable<TestCaseData> ChipMissing()
    {
        yield return new TestCaseData(new IOException("Unable to find a chip, error: 2 (No such file or directory)"))
            .SetArgDisplayNames("v1");
        yield return new TestCaseData(new GpiodException("Could not open gpio chip at path '/dev/gpiochip7': Error: 'No such file or directory'"))
            .SetArgDisplayNames("v2");
    }

    [TestCaseSource(nameof(ChipMissing))]
    public void AMissingChip(Exception thrown)
    {
        var e = OpenFails(new GpioOptions { Chip = "gpiochip7" }, _ => throw thrown);
        Assert.That(e.Message, Is.EqualTo("GPIO chip gpiochip7 (for line 17) not found; chips here: gpiochip0 "
            + "[pinctrl-bcm2711], gpiochip1 [raspberrypi-exp-gpio]; set Gpio:Chip to the chip with the 40-pin header's "
            + "lines (gpiodetect lists them), or Gpio:Enabled to false"));
    }

    private static IEnumerable<TestCaseData> LineBusy()
    {
        yield return new TestCaseData(new IOException("Error setting pin mode, for pin: 17, error: 16 (Device or resource busy)"))
            .SetArgDisplayNames("v1");
        yield return new TestCaseData(new GpiodException("Could not request line/s: Error: 'Device or resource busy', "
            + "RequestConfig: consumer: testhost\nLineConfig: offsets: 17")).SetArgDisplayNames("v2");
    }

    [TestCaseSource(nameof(LineBusy))]
    public void TheButtonLineInUse(Exception thrown)
    {
        FakeGpioDriver? driver = null;
        var e = OpenFails(new GpioOptions(), time => driver = new FakeGpioDriver(time) { SetPinModeThrows = thrown });
        Assert.That(e.Message, Is.EqualTo("GPIO line 17 on gpiochip0 [pinctrl-bcm2711] is in use by another program "
            + "or driver (EBUSY): stop it (gpioinfo gpiochip0 names the consumer) or set "
            + "Gpio:ButtonLine to a free line"));
        Assert.That(driver!.Disposed, Is.True, "the chip is released again");
    }

    [TestCaseSource(nameof(LineBusy))]
    public void TheLedLineInUseReleasesTheButtonToo(Exception thrown)
    {
        FakeGpioDriver? driver = null;
        var e = OpenFails(new GpioOptions(),
            time => driver = new FakeGpioDriver(time) { SetPinModeThrows = thrown, ThrowOnPin = 27 });
        Assert.That(e.Message, Does.StartWith("GPIO line 27 on gpiochip0 [pinctrl-bcm2711] is in use").And
            .EndsWith("set Gpio:LedLine to a free line"));
        Assert.That(driver!.IsOpen(17), Is.False);
        Assert.That(driver.CallbackCount(17), Is.EqualTo(0));
        Assert.That(driver.Disposed, Is.True);
    }

    [Test]
    public void ALineBeyondTheChip()
    {
        var e = OpenFails(new GpioOptions { ButtonLine = 60 }, time => new FakeGpioDriver(time, pinCount: 58));
        Assert.That(e.Message, Is.EqualTo("GPIO line 60 is not on gpiochip0 [pinctrl-bcm2711], which has lines 0 to 57: "
            + "set Gpio:ButtonLine to one of them, or Gpio:Chip to the chip that has it"));
    }

    [Test]
    public void LibgpiodNotInstalledAsTheDriverReportsIt()
    {
        var e = OpenFails(new GpioOptions(), _ => throw new DllNotFoundException("Unable to load shared library 'libgpiod.so.3'"));
        Assert.That(e.Message, Does.StartWith("Gpio:Driver libgpiod2 needs libgpiod.so.3"));
    }

    [Test]
    public void LibgpiodMissingInsideTheDriversTypeInitializer()
    {
        var e = OpenFails(new GpioOptions { Driver = "libgpiod" }, _ => throw new TypeInitializationException(
            "System.Device.Gpio.Drivers.LibGpiodDriver", new DllNotFoundException("Unable to load shared library 'libgpiod.so.2'")));
        Assert.That(e.Message, Does.StartWith("Gpio:Driver libgpiod needs libgpiod.so.2 (or .so.1), which is not installed"));
    }

    [Test]
    public void AnythingElseKeepsTheDriversFirstLineAndNamesChipAndLine()
    {
        var e = OpenFails(new GpioOptions(),
            time => new FakeGpioDriver(time) { SetPinModeThrows = new IOException("Error setting pin mode, for pin: 17, error: 5 (Input/output error)\nmore") });
        Assert.That(e.Message, Is.EqualTo("GPIO line 17 on gpiochip0 [pinctrl-bcm2711] (Gpio:ButtonLine) failed: "
            + "Error setting pin mode, for pin: 17, error: 5 (Input/output error)"));
    }

    [Test]
    public void BadOptionsAreRefusedBeforeAnyDriverIsMade()
    {
        var made = 0;
        var e = Assert.Throws<GpioDeviceException>(() => GpioDevices.Open(
            new GpioOptions { Enabled = true, DebounceMs = 0, Driver = "sysfs" }, new FakeTimeProvider(), _ => true,
            _ => new FakeChipTable(Pi4), (_, _) =>
            {
                made++;
                return new FakeGpioDriver(TimeProvider.System);
            }))!;
        Assert.That(e.Message, Does.Contain("EdgeLlm:Gpio:Driver: 'sysfs' is not auto, libgpiod or libgpiod2"));
        Assert.That(e.Message, Does.Contain("EdgeLlm:Gpio:DebounceMs: 0 is out of range (1 to 1000)"));
        Assert.That(made, Is.EqualTo(0));
    }
}
