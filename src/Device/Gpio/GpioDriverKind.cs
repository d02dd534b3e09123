namespace EdgeLlm.Device.Gpio;

/// <summary>Which System.Device.Gpio driver talks to the chip (docs/gpio.md, "Drivers").</summary>
public enum GpioDriverKind
{
    /// <summary><c>LibGpiodDriver</c>: the libgpiod v1 API in libgpiod.so.2 (Debian 12 / bookworm) or .so.1.</summary>
    LibGpiodV1,

    /// <summary><c>LibGpiodV2Driver</c>: the libgpiod v2 API in libgpiod.so.3 (Debian 13 / trixie).</summary>
    LibGpiodV2,
}
