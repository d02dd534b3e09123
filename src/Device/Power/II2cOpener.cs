using System.Device.I2c;

namespace EdgeLlm.Device.Power;

/// <summary>Opens an I2C device; the seam tests replace with <see cref="I2cSimulatedDeviceBase"/> devices.</summary>
public interface II2cOpener
{
    /// <summary>The device at <paramref name="address"/> on bus <paramref name="busId"/>, or null when the bus does not
    /// exist. Throws <see cref="PowerSourceException"/> when the bus exists but cannot be opened (permissions).</summary>
    I2cDevice? Open(int busId, int address);

    /// <summary>How the bus is named to the user, e.g. "/dev/i2c-1".</summary>
    string Describe(int busId);
}
