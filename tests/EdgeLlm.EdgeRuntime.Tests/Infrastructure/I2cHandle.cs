using System.Device.I2c;

namespace EdgeLlm.EdgeRuntime.Tests.Infrastructure;

/// <summary>One open of a simulated chip: disposing it closes the handle, not the chip (as a file descriptor on /dev/i2c-N).</summary>
public sealed class I2cHandle(I2cDevice chip) : I2cDevice
{
    public override I2cConnectionSettings ConnectionSettings => chip.ConnectionSettings;

    public override byte ReadByte() => chip.ReadByte();

    public override void Read(Span<byte> buffer) => chip.Read(buffer);

    public override void WriteByte(byte value) => chip.WriteByte(value);

    public override void Write(ReadOnlySpan<byte> buffer) => chip.Write(buffer);

    public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer) => chip.WriteRead(writeBuffer, readBuffer);
}
