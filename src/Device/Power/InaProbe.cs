using System.Buffers.Binary;
using System.Device.I2c;

namespace EdgeLlm.Device.Power;

/// <summary>
/// Tells an INA219 from an INA236 at one address without writing to it (docs/power.md): the INA236 has a device-ID
/// register (0x3F reads 0xA08x); the INA219 has none, so it is recognized by bits its datasheet says always read 0
/// (configuration bit 14, bus-voltage bit 2, calibration bit 0). Another chip at the address can pass that test;
/// choose the source explicitly then.
/// </summary>
public static class InaProbe
{
    internal const byte Ina236DeviceIdRegister = 0x3F;

    public static InaChip Identify(I2cDevice device)
    {
        try
        {
            if ((ReadRegister(device, Ina236DeviceIdRegister) & 0xFFF0) == 0xA080)
            {
                return InaChip.Ina236;
            }

            ushort config = ReadRegister(device, 0x00);
            ushort bus = ReadRegister(device, 0x02);
            ushort calibration = ReadRegister(device, 0x05);
            return (config & 0x4000) == 0 && (bus & 0x0004) == 0 && (calibration & 0x0001) == 0 ? InaChip.Ina219 : InaChip.None;
        }
        catch (IOException)
        {
            // no acknowledge: nothing at this address
            return InaChip.None;
        }
    }

    /// <summary>One big-endian 16-bit register, as both chips send them.</summary>
    internal static ushort ReadRegister(I2cDevice device, byte register)
    {
        Span<byte> value = stackalloc byte[2];
        device.WriteRead([register], value);
        return BinaryPrimitives.ReadUInt16BigEndian(value);
    }
}
