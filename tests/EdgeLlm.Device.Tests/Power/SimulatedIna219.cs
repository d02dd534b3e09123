namespace EdgeLlm.Device.Tests.Power;

/// <summary>
/// An INA219 (TI datasheet SBOS448): power-on configuration 0x399F, registers 0-5. With <see cref="Physics"/> set, the
/// chip's own arithmetic fills the result registers from a shunt voltage and a bus voltage: shunt register = V/10 µV,
/// bus register = (V/4 mV) &lt;&lt; 3, current = shunt × CAL / 4096, power = current × bus / 5000.
/// </summary>
public sealed class SimulatedIna219(int address = 0x40) : SimulatedIna(new Dictionary<byte, ushort> { [0] = 0x399F, [1] = 0, [2] = 0, [3] = 0, [4] = 0, [5] = 0 }, address)
{
    public (double ShuntVolts, double BusVolts)? Physics { get; set; }

    protected override ushort OnRead(byte register)
    {
        if (Physics is { } p && register is >= 1 and <= 4)
        {
            int shunt = (int)Math.Round(p.ShuntVolts / 10e-6);
            int bus = (int)Math.Round(p.BusVolts / 4e-3);
            int current = shunt * this[5] / 4096;
            int power = current * bus / 5000;
            return register switch
            {
                1 => unchecked((ushort)(short)shunt),
                2 => (ushort)(bus << 3),
                3 => (ushort)power,
                _ => unchecked((ushort)(short)current),
            };
        }

        // registers 6 and above do not exist on the INA219
        return register > 5 ? (ushort)0 : base.OnRead(register);
    }
}
