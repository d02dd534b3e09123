namespace EdgeLlm.Device.Tests.Power;

/// <summary>
/// An INA236 (TI datasheet SBOSA20): power-on configuration 0x4127, manufacturer ID 0x5449 at 0x3E, device ID 0xA080
/// at 0x3F. With <see cref="Physics"/>: shunt register = V/2.5 µV (ADCRANGE = 0), bus = V/1.6 mV,
/// current = shunt × SHUNT_CAL / 2048, power = current × bus / 20 000.
/// </summary>
public sealed class SimulatedIna236(int address = 0x40) : SimulatedIna(new Dictionary<byte, ushort> { [0] = 0x4127, [1] = 0, [2] = 0, [3] = 0, [4] = 0, [5] = 0, [6] = 0, [7] = 0, [0x3E] = 0x5449, [0x3F] = 0xA080 }, address)
{
    public (double ShuntVolts, double BusVolts)? Physics { get; set; }

    protected override ushort OnRead(byte register)
    {
        if (Physics is { } p && register is >= 1 and <= 4)
        {
            int shunt = (int)Math.Round(p.ShuntVolts / 2.5e-6);
            int bus = (int)Math.Round(p.BusVolts / 1.6e-3);
            int current = shunt * (this[5] & 0x7FFF) / 2048;
            int power = current * bus / 20000;
            return register switch
            {
                1 => unchecked((ushort)(short)shunt),
                2 => (ushort)bus,
                3 => (ushort)power,
                _ => unchecked((ushort)(short)current),
            };
        }

        return base.OnRead(register);
    }
}
