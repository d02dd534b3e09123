using System.Device.I2c;
using EdgeLlm.Device.Power;

namespace EdgeLlm.EdgeRuntime.Tests.Infrastructure;

/// <summary>I2C bus 1 with one simulated chip at 0x40; other addresses do not acknowledge, other buses do not exist.</summary>
public sealed class SimulatedI2cBus(I2cDevice chip) : II2cOpener
{
    public string Describe(int busId) => $"simulated i2c-{busId}";

    public I2cDevice? Open(int busId, int address) =>
        busId != 1 ? null : address == 0x40 ? new I2cHandle(chip) : throw new PowerSourceException($"nothing at 0x{address:x2}");
}
