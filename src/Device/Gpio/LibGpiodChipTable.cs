using System.Globalization;
using System.Runtime.InteropServices;

namespace EdgeLlm.Device.Gpio;

/// <summary>
/// Reads chip labels with libgpiod's own API, the same library the driver uses (docs/gpio.md, "Chip discovery"):
/// v1 <c>gpiod_chip_open</c> + <c>gpiod_chip_label</c>, v2 <c>gpiod_chip_open</c> + <c>gpiod_chip_get_info</c> +
/// <c>gpiod_chip_info_get_label</c>. Both read the kernel's GPIO_GET_CHIPINFO_IOCTL, which exists on every kernel with
/// the GPIO character device, unlike /sys/class/gpio (only with CONFIG_GPIO_SYSFS). Each chip is opened on its own, so
/// one unreadable chip (EACCES) is reported with its errno instead of failing the list; System.Device.Gpio's
/// <c>LibGpiodDriver.GetAvailableChips</c> is not used because libgpiod v1's chip iterator returns NULL when any chip
/// cannot be opened and the driver then passes that NULL on.
/// </summary>
internal sealed unsafe class LibGpiodChipTable(GpioDriverKind kind, string devFolder = "/dev") : IGpioChipTable
{
    public IReadOnlyList<GpioChipEntry> Chips()
    {
        var numbers = new List<int>();
        if (Directory.Exists(devFolder))
        {
            foreach (var path in Directory.EnumerateFiles(devFolder, "gpiochip*"))
            {
                if (int.TryParse(Path.GetFileName(path).AsSpan("gpiochip".Length), NumberStyles.None,
                        CultureInfo.InvariantCulture, out var n))
                {
                    numbers.Add(n);
                }
            }
        }

        numbers.Sort();
        if (numbers.Count == 0)
        {
            return [];
        }

        var library = LibGpiodLibrary.Load(kind)
            ?? throw new GpioDeviceException(LibGpiodLibrary.NotInstalledMessage(kind));
        try
        {
            return numbers.Select(n => Read(library, n)).ToList();
        }
        finally
        {
            NativeLibrary.Free(library);
        }
    }

    private GpioChipEntry Read(nint library, int number)
    {
        var path = Marshal.StringToCoTaskMemUTF8(Path.Combine(devFolder, $"gpiochip{number}"));
        try
        {
            var open = (delegate* unmanaged<nint, nint>)NativeLibrary.GetExport(library, "gpiod_chip_open");
            var close = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(library, "gpiod_chip_close");
            Marshal.SetLastSystemError(0);
            var chip = open(path);
            if (chip == 0)
            {
                return new GpioChipEntry(number, null, 0, Marshal.GetLastSystemError());
            }

            try
            {
                return kind == GpioDriverKind.LibGpiodV1 ? ReadV1(library, number, chip) : ReadV2(library, number, chip);
            }
            finally
            {
                close(chip);
            }
        }
        finally
        {
            Marshal.FreeCoTaskMem(path);
        }
    }

    private static GpioChipEntry ReadV1(nint library, int number, nint chip)
    {
        var label = (delegate* unmanaged<nint, nint>)NativeLibrary.GetExport(library, "gpiod_chip_label");
        var lines = (delegate* unmanaged<nint, uint>)NativeLibrary.GetExport(library, "gpiod_chip_num_lines");
        return new GpioChipEntry(number, Marshal.PtrToStringUTF8(label(chip)) ?? "", (int)lines(chip));
    }

    private static GpioChipEntry ReadV2(nint library, int number, nint chip)
    {
        var getInfo = (delegate* unmanaged<nint, nint>)NativeLibrary.GetExport(library, "gpiod_chip_get_info");
        var label = (delegate* unmanaged<nint, nint>)NativeLibrary.GetExport(library, "gpiod_chip_info_get_label");
        var lines = (delegate* unmanaged<nint, nuint>)NativeLibrary.GetExport(library, "gpiod_chip_info_get_num_lines");
        var free = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(library, "gpiod_chip_info_free");
        Marshal.SetLastSystemError(0);
        var info = getInfo(chip);
        if (info == 0)
        {
            return new GpioChipEntry(number, null, 0, Marshal.GetLastSystemError());
        }

        try
        {
            return new GpioChipEntry(number, Marshal.PtrToStringUTF8(label(info)) ?? "", (int)lines(info));
        }
        finally
        {
            free(info);
        }
    }
}
