using System.Device.Gpio;
using System.Device.Gpio.Drivers;

namespace EdgeLlm.Device.Gpio;

/// <summary>Opens the button and the LED the options describe (docs/gpio.md).</summary>
public static class GpioDevices
{
    /// <summary>
    /// Chooses the driver, finds the chip, opens the button line and the LED line (none when LedLine is -1).
    /// Every failure is a <see cref="GpioDeviceException"/> of one line naming the chip, the line and the fix.
    /// Dispose both results; the chip is released with the last of them.
    /// </summary>
    public static (IPushButton Button, IStatusLed? Led) Open(GpioOptions options, TimeProvider? timeProvider = null) =>
        Open(options, timeProvider ?? TimeProvider.System, LibGpiodLibrary.IsInstalled,
            kind => new LibGpiodChipTable(kind), CreateDriver);

    internal static GpioDriver CreateDriver(GpioDriverKind kind, int chip) =>
        kind == GpioDriverKind.LibGpiodV2 ? new LibGpiodV2Driver(chip) : new LibGpiodDriver(chip);

    /// <summary>The same with its seams: which libraries exist, the chip table, the driver.</summary>
    internal static (IPushButton Button, IStatusLed? Led) Open(GpioOptions options, TimeProvider time,
        Func<string, bool> isInstalled, Func<GpioDriverKind, IGpioChipTable> tables,
        Func<GpioDriverKind, int, GpioDriver> drivers)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate().ToList();
        if (errors.Count > 0)
        {
            throw new GpioDeviceException(string.Join("; ", errors));
        }

        if (!options.Enabled)
        {
            throw new GpioDeviceException("EdgeLlm:Gpio:Enabled is false: set it to true to use the button and LED");
        }

        var kind = LibGpiodLibrary.Choose(options.Driver, isInstalled);
        var table = tables(kind);
        var entry = GpioChipLocator.Resolve(options.Chip, table, options.ButtonLine);
        var chipName = entry.Label is null ? entry.Name : $"{entry.Name} [{entry.Label}]";

        GpioDriver driver;
        try
        {
            driver = drivers(kind, entry.Number);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw GpioErrors.Translate(e, kind, entry.Name, options.ButtonLine, null, table.Chips);
        }

        var shared = new SharedController(new GpioController(driver));
        var lease = shared.Lease();
        IPushButton? button = null;
        try
        {
            var lines = shared.Controller.PinCount;
            CheckLine(chipName, options.ButtonLine, lines, nameof(options.ButtonLine));
            button = Translate(() => new GpioPushButton(shared.Controller, options.ButtonLine, options, time, lease),
                kind, chipName, options.ButtonLine, nameof(options.ButtonLine), table);
            if (options.LedLine < 0)
            {
                return (button, null);
            }

            CheckLine(chipName, options.LedLine, lines, nameof(options.LedLine));
            var ledLease = shared.Lease();
            try
            {
                var led = Translate(() => new GpioStatusLed(shared.Controller, options.LedLine, time, ledLease),
                    kind, chipName, options.LedLine, nameof(options.LedLine), table);
                return (button, led);
            }
            catch
            {
                ledLease.Dispose();
                throw;
            }
        }
        catch
        {
            if (button is not null)
            {
                button.Dispose();
            }
            else
            {
                lease.Dispose();
            }

            throw;
        }
    }

    private static void CheckLine(string chip, int line, int lines, string setting)
    {
        if (line >= lines)
        {
            throw GpioErrors.LineOutOfRange(chip, line, lines, setting);
        }
    }

    private static T Translate<T>(Func<T> open, GpioDriverKind kind, string chip, int line, string setting,
        IGpioChipTable table)
    {
        try
        {
            return open();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw GpioErrors.Translate(e, kind, chip, line, setting, table.Chips);
        }
    }
}
