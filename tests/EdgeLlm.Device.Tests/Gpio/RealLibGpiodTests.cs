using EdgeLlm.Device.Gpio;
using NUnit.Framework;

namespace EdgeLlm.Device.Tests.Gpio;

/// <summary>
/// The real libgpiod v1 (libgpiod.so.2, Debian's libgpiod2, which scripts/install-deps installs) and the real
/// System.Device.Gpio LibGpiodDriver, on a machine without the chip asked for.
/// </summary>
public class RealLibGpiodTests
{
    [Test]
    public void TheRealDriverOnAMissingChipIsTheOneLineNotFoundError()
    {
        // The lowest chip number this machine does not have (gpiochip0 on a build machine).
        var number = Enumerable.Range(0, 1000).First(n => !File.Exists($"/dev/gpiochip{n}"));
        var e = Assert.Throws<GpioDeviceException>(() => GpioDevices.Open(
            new GpioOptions { Enabled = true, Chip = $"gpiochip{number}", Driver = "libgpiod" }))!;
        Assert.That(e.Message, Does.StartWith($"GPIO chip gpiochip{number} (for line 17) not found; "));
        Assert.That(e.Message, Does.EndWith("set Gpio:Chip to the chip with the 40-pin header's lines (gpiodetect "
            + "lists them), or Gpio:Enabled to false"));
        Assert.That(e.Message, Does.Not.Contain('\n'));
        // What the driver itself threw: System.Device.Gpio's IOException carrying ENOENT.
        Assert.That(e.InnerException, Is.TypeOf<IOException>());
        Assert.That(e.InnerException!.Message, Does.StartWith("Unable to find a chip"));
        Assert.That(GpioErrors.Errno(e.InnerException), Is.EqualTo(GpioErrors.ENOENT));
    }

    [Test]
    public void TheRealChipTableOpensEachChipWithLibgpiodAndKeepsItsErrno()
    {
        // Files that are not GPIO character devices: libgpiod opens each and refuses it (ENOTTY), which must
        // become an entry with that errno, in numeric order, not a failed list or a crash.
        var dir = Directory.CreateTempSubdirectory("edgellm-gpio-").FullName;
        try
        {
            foreach (var name in new[] { "gpiochip12", "gpiochip3", "gpiochipX", "gpiomem" })
            {
                File.WriteAllText(Path.Combine(dir, name), "");
            }

            var chips = new LibGpiodChipTable(GpioDriverKind.LibGpiodV1, dir).Chips();
            Assert.That(chips.Select(c => c.Number), Is.EqualTo(new[] { 3, 12 }));
            Assert.That(chips.Select(c => c.Label), Is.All.Null);
            Assert.That(chips.Select(c => c.OpenErrno), Is.All.EqualTo(25), "ENOTTY: not a GPIO character device");

            var e = Assert.Throws<GpioDeviceException>(() =>
                GpioChipLocator.Resolve("", new LibGpiodChipTable(GpioDriverKind.LibGpiodV1, dir), 17))!;
            Assert.That(e.Message, Does.Contain("chips here: gpiochip3 [cannot open: Inappropriate ioctl for device], "
                + "gpiochip12 [cannot open: Inappropriate ioctl for device];"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void AnEmptyDevFolderIsNoChips()
    {
        var dir = Directory.CreateTempSubdirectory("edgellm-gpio-").FullName;
        try
        {
            Assert.That(new LibGpiodChipTable(GpioDriverKind.LibGpiodV1, dir).Chips(), Is.Empty);
            var e = Assert.Throws<GpioDeviceException>(() =>
                GpioChipLocator.Resolve("", new LibGpiodChipTable(GpioDriverKind.LibGpiodV1, dir), 17))!;
            Assert.That(e.Message, Does.Contain("this machine has no /dev/gpiochip*"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
