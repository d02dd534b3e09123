using EdgeLlm.Device.Gpio;
using NUnit.Framework;

namespace EdgeLlm.Device.Tests.Gpio;

public class GpioOptionsTests
{
    [Test]
    public void DefaultsAreTheConfigurationContracts()
    {
        var o = new GpioOptions();
        Assert.That((o.Enabled, o.Chip, o.Driver, o.ButtonLine, o.ActiveLow, o.LedLine),
            Is.EqualTo((false, "", "auto", 17, true, 27)));
        Assert.That((o.DebounceMs, o.ShortPressMs, o.LongHoldMs), Is.EqualTo((30, 400, 2000)));
        Assert.That(o.Validate(), Is.Empty);
    }

    [TestCase("pinctrl-rp1")]
    [TestCase("gpiochip4")]
    [TestCase("/dev/gpiochip0")]
    [TestCase("0")]
    public void ChipsThatAreAccepted(string chip) =>
        Assert.That(new GpioOptions { Chip = chip }.Validate(), Is.Empty);

    [Test]
    public void EachBadValueIsOneLine()
    {
        var o = new GpioOptions
        {
            Chip = "/sys/class/gpio",
            Driver = "sysfs",
            ButtonLine = -2,
            LedLine = -5,
            DebounceMs = 5000,
            ShortPressMs = 300,
            LongHoldMs = 100,
        };
        var errors = o.Validate().ToList();
        Assert.That(errors, Is.EqualTo(new[]
        {
            "EdgeLlm:Gpio:Chip: '/sys/class/gpio' is not /dev/gpiochipN (or gpiochipN, a number, a label, or \"\" to find the chip by label)",
            "EdgeLlm:Gpio:Driver: 'sysfs' is not auto, libgpiod or libgpiod2",
            "EdgeLlm:Gpio:ButtonLine: -2 is not a line number (0 or more)",
            "EdgeLlm:Gpio:LedLine: -5 is not a line number (0 or more, or -1 for no LED)",
            "EdgeLlm:Gpio:DebounceMs: 5000 is out of range (1 to 1000)",
            "EdgeLlm:Gpio:ShortPressMs: 300 must be longer than DebounceMs (5000)",
            "EdgeLlm:Gpio:LongHoldMs: 100 must be longer than ShortPressMs (300)",
        }));
    }

    [Test]
    public void TheLedCannotShareTheButtonsLine() =>
        Assert.That(new GpioOptions { LedLine = 17 }.Validate(),
            Is.EqualTo(new[] { "EdgeLlm:Gpio:LedLine: 17 is the button's line too" }));

    [Test]
    public void NoLedIsAllowed() => Assert.That(new GpioOptions { LedLine = -1 }.Validate(), Is.Empty);

    [TestCase("gpiochip4", 4)]
    [TestCase("/dev/gpiochip12", 12)]
    [TestCase("7", 7)]
    [TestCase("pinctrl-bcm2711", null)]
    [TestCase("", null)]
    [TestCase("gpiochip", null)]
    [TestCase("gpiochip-1", null)]
    public void ChipNumbers(string chip, int? expected) =>
        Assert.That(GpioOptions.ParseChipNumber(chip), Is.EqualTo(expected));
}
