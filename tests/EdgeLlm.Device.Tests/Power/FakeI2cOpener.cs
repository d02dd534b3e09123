using System.Device.I2c;
using EdgeLlm.Device.Power;

namespace EdgeLlm.Device.Tests.Power;

/// <summary>I2C buses of simulated devices. A bus not listed does not exist; an address without a device on a listed
/// bus does not acknowledge (IOException, as Linux reports a NACK). Each open is a new handle on the same chip, as
/// each I2cDevice.Create is a new file descriptor on /dev/i2c-N.</summary>
public sealed class FakeI2cOpener : II2cOpener
{
    public Dictionary<(int Bus, int Address), I2cDevice> Devices { get; } = [];

    public HashSet<int> Buses { get; } = [];

    public int Opened { get; private set; }

    public string Describe(int busId) => $"simulated i2c-{busId}";

    public I2cDevice? Open(int busId, int address)
    {
        if (!Buses.Contains(busId))
        {
            return null;
        }

        Opened++;
        return Devices.TryGetValue((busId, address), out var d) ? new Handle(d) : new NoDevice(new I2cConnectionSettings(busId, address));
    }

    private sealed class Handle(I2cDevice chip) : I2cDevice
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

    private sealed class NoDevice(I2cConnectionSettings settings) : I2cSimulatedDeviceBase(settings)
    {
        public override void WriteRead(byte[] inputBuffer, byte[] outputBuffer) =>
            throw new IOException("Error 121 performing I2C data transfer (no acknowledge)");
    }
}
