using System.Runtime.InteropServices;

namespace EdgeLlm.Device.Gpio;

/// <summary>One /dev/gpiochipN as the chip table saw it.</summary>
/// <param name="Number">N of /dev/gpiochipN.</param>
/// <param name="Label">The chip's label (e.g. pinctrl-bcm2711); null when the chip could not be opened.</param>
/// <param name="Lines">Its number of lines (0 when unknown).</param>
/// <param name="OpenErrno">The errno of opening it (13 = EACCES), or 0.</param>
public sealed record GpioChipEntry(int Number, string? Label, int Lines, int OpenErrno = 0)
{
    public string Name => $"gpiochip{Number}";

    public override string ToString() => Label is null
        ? $"{Name} [cannot open: {Marshal.GetPInvokeErrorMessage(OpenErrno)}]"
        : $"{Name} [{Label}]";
}
