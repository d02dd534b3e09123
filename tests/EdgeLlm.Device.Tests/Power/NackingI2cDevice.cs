using System.Device.I2c;

namespace EdgeLlm.Device.Tests.Power;

/// <summary>An address where nothing answers: every transfer fails as Linux reports a missing acknowledge.</summary>
public sealed class NackingI2cDevice(I2cConnectionSettings settings) : I2cSimulatedDeviceBase(settings)
{
    public override void WriteRead(byte[] inputBuffer, byte[] outputBuffer) =>
        throw new IOException("Error 121 performing I2C data transfer (no acknowledge)");
}
