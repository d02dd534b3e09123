namespace EdgeLlm.Device.Gpio;

/// <summary>
/// A GPIO problem the user can fix, as one line that names the chip, the line and the fix (docs/gpio.md, "Errors").
/// The exception System.Device.Gpio threw, if any, is the inner exception.
/// </summary>
public sealed class GpioDeviceException : Exception
{
    public GpioDeviceException(string message)
        : base(message)
    {
    }

    public GpioDeviceException(string message, Exception? inner)
        : base(message, inner)
    {
    }
}
