using System.Runtime.InteropServices;

namespace EdgeLlm.Device.Gpio;

/// <summary>Which libgpiod is installed, and the driver that matches it (docs/gpio.md, "Drivers").</summary>
internal static class LibGpiodLibrary
{
    /// <summary>The sonames System.Device.Gpio 4.2 loads: v2 API libgpiod.so.3; v1 API libgpiod.so.2, else .so.1.</summary>
    internal static IReadOnlyList<string> Names(GpioDriverKind kind) =>
        kind == GpioDriverKind.LibGpiodV2 ? ["libgpiod.so.3"] : ["libgpiod.so.2", "libgpiod.so.1"];

    internal static bool IsInstalled(string soname)
    {
        if (!NativeLibrary.TryLoad(soname, out var handle))
        {
            return false;
        }

        NativeLibrary.Free(handle);
        return true;
    }

    /// <summary>The library handle (free it), or null when that API's libgpiod is not installed.</summary>
    internal static nint? Load(GpioDriverKind kind)
    {
        foreach (var name in Names(kind))
        {
            if (NativeLibrary.TryLoad(name, out var handle))
            {
                return handle;
            }
        }

        return null;
    }

    /// <summary>
    /// "auto": v2 when libgpiod.so.3 is there (trixie), else v1 when libgpiod.so.2 or .so.1 is (bookworm and older).
    /// A system with both gets v2, the API libgpiod is maintained in.
    /// </summary>
    internal static GpioDriverKind Choose(string driver, Func<string, bool> isInstalled)
    {
        bool Has(GpioDriverKind kind) => Names(kind).Any(isInstalled);
        var kind = driver.ToLowerInvariant() switch
        {
            "libgpiod" => GpioDriverKind.LibGpiodV1,
            "libgpiod2" => GpioDriverKind.LibGpiodV2,
            _ => Has(GpioDriverKind.LibGpiodV2) ? GpioDriverKind.LibGpiodV2
                : Has(GpioDriverKind.LibGpiodV1) ? GpioDriverKind.LibGpiodV1
                : throw new GpioDeviceException(
                    "libgpiod is not installed (no libgpiod.so.3, libgpiod.so.2 or libgpiod.so.1): "
                    + "sudo apt install libgpiod2 (Debian 12 / Raspberry Pi OS bookworm) or libgpiod3 (Debian 13 / trixie)"),
        };
        if (!Has(kind))
        {
            throw new GpioDeviceException(NotInstalledMessage(kind));
        }

        return kind;
    }

    internal static string NotInstalledMessage(GpioDriverKind kind) => kind == GpioDriverKind.LibGpiodV2
        ? "Gpio:Driver libgpiod2 needs libgpiod.so.3, which is not installed: sudo apt install libgpiod3 "
          + "(Debian 13 / trixie), or set Gpio:Driver to auto"
        : "Gpio:Driver libgpiod needs libgpiod.so.2 (or .so.1), which is not installed: sudo apt install libgpiod2 "
          + "(Debian 12 / bookworm), or set Gpio:Driver to auto";
}
