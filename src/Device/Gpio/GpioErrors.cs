using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace EdgeLlm.Device.Gpio;

/// <summary>
/// Turns what System.Device.Gpio 4.2 throws into one line naming the chip, the line and the fix (docs/gpio.md,
/// "Errors"). The drivers carry errno only in the message text: LibGpiodDriver (v1) throws IOException
/// "Unable to find a chip, error: 13 (Permission denied)" / "Error setting pin mode, for pin: 17, error: 16 (Device or
/// resource busy)"; LibGpiodV2Driver throws GpiodException (an IOException) "Could not open gpio chip at path
/// '/dev/gpiochip0': Error: 'Permission denied'" / "Could not request line/s: Error: 'Device or resource busy', …".
/// So the errno is read back from "error: N" or from the strerror text of the errnos that matter.
/// </summary>
internal static partial class GpioErrors
{
    internal const int EPERM = 1;
    internal const int ENOENT = 2;
    internal const int ENXIO = 6;
    internal const int EACCES = 13;
    internal const int EBUSY = 16;
    internal const int ENODEV = 19;
    internal const int EINVAL = 22;

    private static readonly int[] Known = [EACCES, EPERM, EBUSY, ENOENT, ENODEV, ENXIO, EINVAL];

    internal const string GroupFix = "add the user to the gpio group: sudo usermod -aG gpio $USER, then log in again "
        + "(a systemd service: SupplementaryGroups=gpio)";

    internal static string Found(IReadOnlyList<GpioChipEntry> chips) => chips.Count == 0
        ? "this machine has no /dev/gpiochip*"
        : "chips here: " + string.Join(", ", chips);

    internal static GpioDeviceException ChipNotFound(string chip, int line, IReadOnlyList<GpioChipEntry> found,
        Exception? inner = null) =>
        new($"GPIO chip {chip} (for line {line}) not found; {Found(found)}; set Gpio:Chip to the chip with the "
            + "40-pin header's lines (gpiodetect lists them), or Gpio:Enabled to false", inner);

    internal static GpioDeviceException NoPiChip(int line, IReadOnlyList<GpioChipEntry> found) =>
        new($"no Raspberry Pi GPIO chip (label {string.Join(", ", GpioChipLocator.RaspberryPiLabels)}) found for "
            + $"line {line}; {Found(found)}; set Gpio:Chip to the chip with the 40-pin header's lines (gpiodetect "
            + "lists them), or Gpio:Enabled to false");

    internal static GpioDeviceException NoPermission(string chip, int line, Exception? inner = null) =>
        new($"no permission to open /dev/{DeviceName(chip)} (GPIO line {line}): {GroupFix}", inner);

    internal static GpioDeviceException LineBusy(string chip, int line, string setting, Exception? inner = null) =>
        new($"GPIO line {line} on {chip} is in use by another program or driver (EBUSY): stop it (gpioinfo {DeviceName(chip)} "
            + $"names the consumer) or set Gpio:{setting} to a free line", inner);

    internal static GpioDeviceException LineOutOfRange(string chip, int line, int lines, string setting) =>
        new($"GPIO line {line} is not on {chip}, which has lines 0 to {lines - 1}: set Gpio:{setting} to one of them, "
            + "or Gpio:Chip to the chip that has it");

    /// <summary>The errno a System.Device.Gpio exception message carries, or null.</summary>
    internal static int? Errno(Exception e)
    {
        var message = e.Message;
        var m = ErrnoNumber().Match(message);
        if (m.Success && int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return n;
        }

        foreach (var errno in Known)
        {
            if (message.Contains(Marshal.GetPInvokeErrorMessage(errno), StringComparison.OrdinalIgnoreCase))
            {
                return errno;
            }
        }

        return null;
    }

    /// <summary>
    /// Translates an exception from opening the chip (<paramref name="setting"/> null) or from opening, configuring
    /// or watching a line (<paramref name="setting"/> = ButtonLine or LedLine).
    /// </summary>
    internal static GpioDeviceException Translate(Exception e, GpioDriverKind kind, string chip, int line,
        string? setting, Func<IReadOnlyList<GpioChipEntry>> found)
    {
        if (e is GpioDeviceException g)
        {
            return g;
        }

        // LibGpiodDriver's static constructor asks libgpiod for its version, so a missing library arrives wrapped.
        if (e is TypeInitializationException { InnerException: { } cause })
        {
            e = cause;
        }

        if (e is DllNotFoundException or EntryPointNotFoundException
            || (e is PlatformNotSupportedException && e.Message.Contains("ibgpiod", StringComparison.Ordinal)))
        {
            return new GpioDeviceException(LibGpiodLibrary.NotInstalledMessage(kind), e);
        }

        var errno = Errno(e);
        switch (errno)
        {
            case EACCES or EPERM:
                return NoPermission(chip, line, e);
            case EBUSY when setting is not null:
                return LineBusy(chip, line, setting, e);
            case ENOENT or ENODEV or ENXIO when setting is null:
                return ChipNotFound(chip, line, SafeFound(found), e);
        }

        if (e is InvalidOperationException && e.Message.Contains("does not support mode", StringComparison.Ordinal))
        {
            return new GpioDeviceException(
                $"GPIO line {line} on {chip}: the driver cannot set the internal pull resistor ({FirstLine(e.Message)}): "
                + "install libgpiod 1.5 or later, or set Gpio:Driver to libgpiod2", e);
        }

        var what = setting is null ? $"opening GPIO chip {chip} (for line {line})" : $"GPIO line {line} on {chip} (Gpio:{setting})";
        return new GpioDeviceException($"{what} failed: {FirstLine(e.Message)}", e);
    }

    private static IReadOnlyList<GpioChipEntry> SafeFound(Func<IReadOnlyList<GpioChipEntry>> found)
    {
        try
        {
            return found();
        }
        catch (Exception e) when (e is GpioDeviceException or IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>"gpiochip0 [pinctrl-bcm2711]" → "gpiochip0", the name gpioinfo and /dev know.</summary>
    private static string DeviceName(string chip)
    {
        var i = chip.IndexOf(' ', StringComparison.Ordinal);
        return i < 0 ? chip : chip[..i];
    }

    private static string FirstLine(string s)
    {
        var i = s.IndexOfAny(['\r', '\n']);
        return i < 0 ? s : s[..i];
    }

    [GeneratedRegex(@"error: ([0-9]{1,4})\b", RegexOptions.IgnoreCase)]
    private static partial Regex ErrnoNumber();
}
