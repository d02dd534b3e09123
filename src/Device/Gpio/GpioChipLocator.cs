namespace EdgeLlm.Device.Gpio;

/// <summary>Which chip Gpio:Chip means (docs/gpio.md, "Chip discovery").</summary>
internal static class GpioChipLocator
{
    /// <summary>Searched in this order: Raspberry Pi 5 (RP1), Pi 4 / 400 / CM4, Pi 3 / Zero 2 W and older.</summary>
    internal static readonly IReadOnlyList<string> RaspberryPiLabels = ["pinctrl-rp1", "pinctrl-bcm2711", "pinctrl-bcm2835"];

    /// <summary>
    /// A chip number ("gpiochip4", "/dev/gpiochip4", "4") is taken as given (the driver reports it if missing);
    /// a label or "" (any Raspberry Pi label) is looked up in the table.
    /// </summary>
    internal static GpioChipEntry Resolve(string chip, IGpioChipTable table, int line)
    {
        if (GpioOptions.ParseChipNumber(chip) is { } number)
        {
            return new GpioChipEntry(number, null, 0);
        }

        var chips = table.Chips();
        var labels = chip.Length == 0 ? RaspberryPiLabels : [chip];
        foreach (var label in labels)
        {
            var hit = chips.FirstOrDefault(c => string.Equals(c.Label, label, StringComparison.Ordinal));
            if (hit is not null)
            {
                return hit;
            }
        }

        // A chip we could not open may be the one: say why it could not be read rather than "not found".
        var denied = chips.FirstOrDefault(c => c.OpenErrno is GpioErrors.EACCES or GpioErrors.EPERM);
        if (denied is not null)
        {
            throw GpioErrors.NoPermission(denied.Name, line);
        }

        throw chip.Length == 0 ? GpioErrors.NoPiChip(line, chips) : GpioErrors.ChipNotFound($"'{chip}'", line, chips);
    }
}
