using System.Device.I2c;

namespace EdgeLlm.Device.Tests.Power;

/// <summary>
/// An INA2xx register map on <see cref="I2cSimulatedDeviceBase"/>: a pointer byte selects a 16-bit register, a write
/// sends pointer + MSB + LSB, a read returns MSB then LSB (big-endian, as both datasheets specify). Registers not in
/// the map read 0. Every transfer is logged with its raw bytes.
/// </summary>
public class SimulatedIna : I2cSimulatedDeviceBase
{
    private readonly Dictionary<byte, ushort> _powerOn;
    private byte _pointer;

    public SimulatedIna(Dictionary<byte, ushort> powerOn, int address = 0x40)
        : base(new I2cConnectionSettings(1, address))
    {
        _powerOn = powerOn;
        Reset();
    }

    /// <summary>Raw bytes of every write (pointer first).</summary>
    public List<byte[]> Writes { get; } = [];

    public bool Disposed { get; private set; }

    public ushort this[byte register]
    {
        get => RegisterMap.TryGetValue(register, out var r) ? ((Register<ushort>)r).Value : (ushort)0;
        set => RegisterMap[register] = new Register<ushort>(value);
    }

    /// <summary>The last value written to a register over the bus, or null.</summary>
    public ushort? LastWritten(byte register) =>
        Writes.LastOrDefault(w => w.Length == 3 && w[0] == register) is { } w ? (ushort)((w[1] << 8) | w[2]) : null;

    public override void WriteRead(byte[] inputBuffer, byte[] outputBuffer)
    {
        if (Disposed)
        {
            throw new ObjectDisposedException(nameof(SimulatedIna));
        }

        if (inputBuffer.Length > 0)
        {
            _pointer = inputBuffer[0];
        }

        if (inputBuffer.Length == 3)
        {
            Writes.Add(inputBuffer);
            ushort value = (ushort)((inputBuffer[1] << 8) | inputBuffer[2]);
            OnWrite(_pointer, value);
        }

        if (outputBuffer.Length > 0)
        {
            ushort value = OnRead(_pointer);
            outputBuffer[0] = (byte)(value >> 8);
            if (outputBuffer.Length > 1)
            {
                outputBuffer[1] = (byte)value;
            }
        }
    }

    protected virtual void OnWrite(byte register, ushort value)
    {
        if (register == 0 && (value & 0x8000) != 0)
        {
            Reset();
            return;
        }

        this[register] = value;
    }

    protected virtual ushort OnRead(byte register) => this[register];

    protected override void Dispose(bool disposing)
    {
        Disposed = true;
        base.Dispose(disposing);
    }

    private void Reset()
    {
        RegisterMap.Clear();
        foreach (var (r, v) in _powerOn)
        {
            this[r] = v;
        }
    }
}
