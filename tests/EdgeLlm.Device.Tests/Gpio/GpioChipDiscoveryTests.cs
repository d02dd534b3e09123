using System.Device.Gpio;
using EdgeLlm.Device.Gpio;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace EdgeLlm.Device.Tests.Gpio;

public class GpioChipDiscoveryTests
{
    // What gpiodetect prints on each board (Raspberry Pi OS bookworm): the header's chip among the others.
    private static readonly GpioChipEntry[] Pi5 =
    [
        new(0, "pinctrl-rp1", 54), new(10, "gpio-brcmstb@107d508500", 32), new(11, "gpio-brcmstb@107d508500", 4),
        new(12, "gpio-brcmstb@107d517c00", 17), new(13, "gpio-brcmstb@107d517c00", 6),
    ];

    // Pi 5 on kernels before 6.6.y renumbered the chips: RP1 was gpiochip4.
    private static readonly GpioChipEntry[] Pi5OldKernel =
    [
        new(0, "gpio-brcmstb@107d508500", 32), new(1, "gpio-brcmstb@107d508500", 4),
        new(2, "gpio-brcmstb@107d517c00", 17), new(3, "gpio-brcmstb@107d517c00", 6), new(4, "pinctrl-rp1", 54),
    ];

    private static readonly GpioChipEntry[] Pi4 = [new(0, "pinctrl-bcm2711", 58), new(1, "raspberrypi-exp-gpio", 8)];

    private static readonly GpioChipEntry[] Zero2W = [new(0, "pinctrl-bcm2835", 54), new(1, "raspberrypi-exp-gpio", 8)];

    private static IEnumerable<TestCaseData> Boards()
    {
        yield return new TestCaseData(Pi5, 0).SetArgDisplayNames("Pi 5");
        yield return new TestCaseData(Pi5OldKernel, 4).SetArgDisplayNames("Pi 5, kernel 6.1");
        yield return new TestCaseData(Pi4, 0).SetArgDisplayNames("Pi 4");
        yield return new TestCaseData(Zero2W, 0).SetArgDisplayNames("Zero 2 W");
        yield return new TestCaseData(new GpioChipEntry[] { new(0, "gpio-mockup-A", 8), new(3, "pinctrl-bcm2835", 54) }, 3)
            .SetArgDisplayNames("label on a later chip");
    }

    [TestCaseSource(nameof(Boards))]
    public void FindsTheHeadersChipByLabel(GpioChipEntry[] chips, int expected)
    {
        var entry = GpioChipLocator.Resolve("", new FakeChipTable(chips), 17);
        Assert.That(entry.Number, Is.EqualTo(expected));
        Assert.That(entry.Label, Does.StartWith("pinctrl-"));
    }

    [TestCaseSource(nameof(Boards))]
    public void OpenUsesTheChipItFound(GpioChipEntry[] chips, int expected)
    {
        var time = new FakeTimeProvider();
        var opened = new List<(GpioDriverKind Kind, int Chip)>();
        var (button, led) = GpioDevices.Open(new GpioOptions { Enabled = true }, time, name => name == "libgpiod.so.2",
            _ => new FakeChipTable(chips), (kind, chip) =>
            {
                opened.Add((kind, chip));
                return new FakeGpioDriver(time);
            });
        using (button)
        using (led)
        {
            Assert.That(opened, Is.EqualTo(new[] { (GpioDriverKind.LibGpiodV1, expected) }));
            Assert.That(led, Is.Not.Null);
        }
    }

    [Test]
    public void NoPiLabelIsOneLineListingWhatWasFound()
    {
        var table = new FakeChipTable(new(0, "gpio-mockup-A", 8), new(1, "ftdi-cbus", 4));
        var e = Assert.Throws<GpioDeviceException>(() => GpioChipLocator.Resolve("", table, 17))!;
        Assert.That(e.Message, Is.EqualTo(
            "no Raspberry Pi GPIO chip (label pinctrl-rp1, pinctrl-bcm2711, pinctrl-bcm2835) found for line 17; "
            + "chips here: gpiochip0 [gpio-mockup-A], gpiochip1 [ftdi-cbus]; set Gpio:Chip to the chip with the 40-pin "
            + "header's lines (gpiodetect lists them), or Gpio:Enabled to false"));
    }

    [Test]
    public void NoChipsAtAllSaysSo()
    {
        var e = Assert.Throws<GpioDeviceException>(() => GpioChipLocator.Resolve("", new FakeChipTable(), 17))!;
        Assert.That(e.Message, Does.Contain("found for line 17; this machine has no /dev/gpiochip*;"));
        Assert.That(e.Message, Does.Not.Contain("\n"));
    }

    [Test]
    public void AChipGivenByLabelIsLookedUp()
    {
        var table = new FakeChipTable(new(0, "pinctrl-bcm2711", 58), new(2, "gpio-mockup-A", 8));
        Assert.That(GpioChipLocator.Resolve("gpio-mockup-A", table, 3).Number, Is.EqualTo(2));
        var e = Assert.Throws<GpioDeviceException>(() => GpioChipLocator.Resolve("pinctrl-rp1", table, 3))!;
        Assert.That(e.Message, Does.StartWith("GPIO chip 'pinctrl-rp1' (for line 3) not found; chips here: "
            + "gpiochip0 [pinctrl-bcm2711], gpiochip2 [gpio-mockup-A];"));
    }

    [TestCase("gpiochip4", 4)]
    [TestCase("/dev/gpiochip4", 4)]
    [TestCase("4", 4)]
    [TestCase("gpiochip0", 0)]
    public void AChipNumberIsTakenAsGivenWithoutReadingLabels(string chip, int expected)
    {
        var table = new FakeChipTable(new GpioChipEntry(0, "pinctrl-bcm2711", 58));
        Assert.That(GpioChipLocator.Resolve(chip, table, 17).Number, Is.EqualTo(expected));
        Assert.That(table.Reads, Is.EqualTo(0));
    }

    [Test]
    public void AnUnopenableChipDuringTheSearchIsThePermissionError()
    {
        // Without the gpio group every chip fails with EACCES, so no label can be read.
        var table = new FakeChipTable(new(0, null, 0, GpioErrors.EACCES), new(1, null, 0, GpioErrors.EACCES));
        var e = Assert.Throws<GpioDeviceException>(() => GpioChipLocator.Resolve("", table, 17))!;
        Assert.That(e.Message, Is.EqualTo("no permission to open /dev/gpiochip0 (GPIO line 17): add the user to the "
            + "gpio group: sudo usermod -aG gpio $USER, then log in again (a systemd service: SupplementaryGroups=gpio)"));
    }

    [TestCase("libgpiod.so.3", "auto", GpioDriverKind.LibGpiodV2)]
    [TestCase("libgpiod.so.2", "auto", GpioDriverKind.LibGpiodV1)]
    [TestCase("libgpiod.so.1", "auto", GpioDriverKind.LibGpiodV1)]
    [TestCase("libgpiod.so.2 libgpiod.so.3", "auto", GpioDriverKind.LibGpiodV2)]
    [TestCase("libgpiod.so.2 libgpiod.so.3", "libgpiod", GpioDriverKind.LibGpiodV1)]
    [TestCase("libgpiod.so.2 libgpiod.so.3", "LibGpiod2", GpioDriverKind.LibGpiodV2)]
    public void TheDriverFollowsTheInstalledLibgpiod(string installed, string option, GpioDriverKind expected)
    {
        var names = installed.Split(' ');
        Assert.That(LibGpiodLibrary.Choose(option, names.Contains), Is.EqualTo(expected));
    }

    [TestCase("", "auto", "libgpiod is not installed (no libgpiod.so.3, libgpiod.so.2 or libgpiod.so.1): sudo apt install libgpiod2")]
    [TestCase("libgpiod.so.2", "libgpiod2", "Gpio:Driver libgpiod2 needs libgpiod.so.3, which is not installed: sudo apt install libgpiod3")]
    [TestCase("libgpiod.so.3", "libgpiod", "Gpio:Driver libgpiod needs libgpiod.so.2 (or .so.1), which is not installed: sudo apt install libgpiod2")]
    public void AMissingLibgpiodIsOneLineWithTheFix(string installed, string option, string expected)
    {
        var names = installed.Split(' ');
        var e = Assert.Throws<GpioDeviceException>(() => LibGpiodLibrary.Choose(option, names.Contains))!;
        Assert.That(e.Message, Does.StartWith(expected));
    }

    [Test]
    public void TheButtonAndLedShareOneControllerReleasedWithTheLastOfThem()
    {
        var time = new FakeTimeProvider();
        var driver = new FakeGpioDriver(time);
        var (button, led) = GpioDevices.Open(new GpioOptions { Enabled = true }, time, _ => true,
            _ => new FakeChipTable(Pi4), (_, _) => driver);
        Assert.That(driver.ModeOf(17), Is.EqualTo(PinMode.InputPullUp));
        Assert.That(driver.ModeOf(27), Is.EqualTo(PinMode.Output));
        button.Dispose();
        Assert.That(driver.Disposed, Is.False);
        Assert.That(driver.IsOpen(27), Is.True);
        led!.Dispose();
        Assert.That(driver.Disposed, Is.True);
    }

    [Test]
    public void NoLedLineMeansNoLed()
    {
        var time = new FakeTimeProvider();
        var driver = new FakeGpioDriver(time);
        var (button, led) = GpioDevices.Open(new GpioOptions { Enabled = true, LedLine = -1 }, time, _ => true,
            _ => new FakeChipTable(Pi4), (_, _) => driver);
        Assert.That(led, Is.Null);
        Assert.That(driver.IsOpen(27), Is.False);
        button.Dispose();
        Assert.That(driver.Disposed, Is.True);
    }
}
