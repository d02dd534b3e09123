using System.Device.I2c;

namespace EdgeLlm.Device.Tests.Power;

/// <summary>One open of a simulated chip: disposing it closes the handle, not the chip.</summary>
public sealed class I2cHandle(I2cDevice chip) : I2cDevice
{
    private bool _closed;

    public override I2cConnectionSettings ConnectionSettings => chip.ConnectionSettings;

    public override byte ReadByte() => Open().ReadByte();

    public override void Read(Span<byte> buffer) => Open().Read(buffer);

    public override void WriteByte(byte value) => Open().WriteByte(value);

    public override void Write(ReadOnlySpan<byte> buffer) => Open().Write(buffer);

    public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer) => Open().WriteRead(writeBuffer, readBuffer);

    protected override void Dispose(bool disposing)
    {
        _closed = true;
        base.Dispose(disposing);
    }

    private I2cDevice Open() => _closed ? throw new ObjectDisposedException("i2c handle") : chip;
}
