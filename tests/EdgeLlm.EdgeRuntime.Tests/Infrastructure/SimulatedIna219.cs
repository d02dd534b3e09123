using System.Device.I2c;

namespace EdgeLlm.EdgeRuntime.Tests.Infrastructure;

/// <summary>
/// An INA219 (TI SBOS448) on <see cref="I2cSimulatedDeviceBase"/> in a board's 5 V line: a pointer byte selects a
/// big-endian 16-bit register; power-on configuration 0x399F; a write of configuration bit 15 resets. The result
/// registers follow the chip's own arithmetic from the power the test's model says the board draws now:
/// current = P / V, shunt register = I·R / 10 µV, bus register = (V / 4 mV) &lt;&lt; 3, current register =
/// shunt × CAL / 4096, power register = current × bus / 5000.
/// </summary>
public sealed class SimulatedIna219 : I2cSimulatedDeviceBase
{
    private readonly Lock _lock = new();
    private readonly ushort[] _registers = new ushort[6];
    private byte _pointer;

    public SimulatedIna219(Func<double> watts, double busVolts = 5.1, double shuntOhms = 0.1)
        : base(new I2cConnectionSettings(1, 0x40))
    {
        Watts = watts;
        BusVolts = busVolts;
        ShuntOhms = shuntOhms;
        Reset();
    }

    /// <summary>The board's power model: what it draws at the moment of a read.</summary>
    public Func<double> Watts { get; set; }

    public double BusVolts { get; }

    public double ShuntOhms { get; }

    /// <summary>Reads of the power register (one per reading of the monitor).</summary>
    public int PowerReads { get; private set; }

    public override void WriteRead(byte[] inputBuffer, byte[] outputBuffer)
    {
        lock (_lock)
        {
            if (inputBuffer.Length > 0)
            {
                _pointer = inputBuffer[0];
            }

            if (inputBuffer.Length == 3 && _pointer < _registers.Length)
            {
                ushort value = (ushort)((inputBuffer[1] << 8) | inputBuffer[2]);
                if (_pointer == 0 && (value & 0x8000) != 0)
                {
                    Reset();
                }
                else
                {
                    _registers[_pointer] = value;
                }
            }

            if (outputBuffer.Length > 0)
            {
                ushort value = Read(_pointer);
                outputBuffer[0] = (byte)(value >> 8);
                if (outputBuffer.Length > 1)
                {
                    outputBuffer[1] = (byte)value;
                }
            }
        }
    }

    private ushort Read(byte register)
    {
        if (register is >= 1 and <= 4)
        {
            double amps = Watts() / BusVolts;
            int shunt = (int)Math.Round(amps * ShuntOhms / 10e-6);
            int bus = (int)Math.Round(BusVolts / 4e-3);
            int current = shunt * _registers[5] / 4096;
            int power = current * bus / 5000;
            if (register == 3)
            {
                PowerReads++;
            }

            return register switch
            {
                1 => unchecked((ushort)(short)shunt),
                2 => (ushort)(bus << 3),
                3 => (ushort)power,
                _ => unchecked((ushort)(short)current),
            };
        }

        // registers 6 and above (the INA236's device ID among them) do not exist on the INA219
        return register < _registers.Length ? _registers[register] : (ushort)0;
    }

    private void Reset()
    {
        Array.Clear(_registers);
        _registers[0] = 0x399F;
    }
}
