using System.Globalization;
using System.Text.RegularExpressions;

namespace EdgeLlm.Device.Gpio;

/// <summary>
/// Section "EdgeLlm:Gpio": the push button and the status LED (docs/gpio.md). The host binds the section into this
/// record and calls <see cref="Validate"/>; <see cref="GpioDevices.Open"/> validates again.
/// </summary>
public sealed partial record GpioOptions
{
    /// <summary>Known values of <see cref="Driver"/>.</summary>
    public static readonly IReadOnlyList<string> Drivers = ["auto", "libgpiod", "libgpiod2"];

    public bool Enabled { get; set; }

    /// <summary>"" = find by label (pinctrl-rp1, pinctrl-bcm2711, pinctrl-bcm2835); else "gpiochip4", "4" or a label.</summary>
    public string Chip { get; set; } = "";

    /// <summary>auto (by the installed libgpiod.so), libgpiod (v1 API, libgpiod.so.2) or libgpiod2 (libgpiod.so.3).</summary>
    public string Driver { get; set; } = "auto";

    public int ButtonLine { get; set; } = 17;

    /// <summary>True: the button connects the line to GND and the internal pull-up holds it high when released.</summary>
    public bool ActiveLow { get; set; } = true;

    /// <summary>-1 = no LED.</summary>
    public int LedLine { get; set; } = 27;

    public int DebounceMs { get; set; } = 30;

    public int ShortPressMs { get; set; } = 400;

    public int LongHoldMs { get; set; } = 2000;

    /// <summary>One line per bad value; empty when the options can be used.</summary>
    public IEnumerable<string> Validate()
    {
        const string p = "EdgeLlm:Gpio:";
        if (Chip is null || (Chip.Length > 0 && (Chip.Trim() != Chip || Chip.Any(char.IsControl))))
        {
            yield return $"{p}Chip: '{Chip}' has surrounding spaces or control characters";
        }
        else if (Chip.Contains('/') && ParseChipNumber(Chip) is null)
        {
            yield return $"{p}Chip: '{Chip}' is not /dev/gpiochipN (or gpiochipN, a number, a label, or \"\" to find the chip by label)";
        }

        if (Driver is null || !Drivers.Contains(Driver, StringComparer.OrdinalIgnoreCase))
        {
            yield return $"{p}Driver: '{Driver}' is not {string.Join(", ", Drivers.Take(Drivers.Count - 1))} or {Drivers[^1]}";
        }

        if (ButtonLine < 0)
        {
            yield return $"{p}ButtonLine: {ButtonLine} is not a line number (0 or more)";
        }

        if (LedLine < -1)
        {
            yield return $"{p}LedLine: {LedLine} is not a line number (0 or more, or -1 for no LED)";
        }
        else if (LedLine == ButtonLine && ButtonLine >= 0)
        {
            yield return $"{p}LedLine: {LedLine} is the button's line too";
        }

        if (DebounceMs is < 1 or > 1000)
        {
            yield return $"{p}DebounceMs: {DebounceMs} is out of range (1 to 1000)";
        }

        if (ShortPressMs <= DebounceMs)
        {
            yield return $"{p}ShortPressMs: {ShortPressMs} must be longer than DebounceMs ({DebounceMs})";
        }

        if (LongHoldMs <= ShortPressMs)
        {
            yield return $"{p}LongHoldMs: {LongHoldMs} must be longer than ShortPressMs ({ShortPressMs})";
        }
    }

    /// <summary>"gpiochip4", "/dev/gpiochip4" or "4" → 4; anything else (a label, "") → null.</summary>
    internal static int? ParseChipNumber(string chip)
    {
        var m = ChipNumberPattern().Match(chip);
        return m.Success && int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : null;
    }

    [GeneratedRegex(@"^(?:/dev/gpiochip|gpiochip)?([0-9]{1,4})$")]
    private static partial Regex ChipNumberPattern();
}
