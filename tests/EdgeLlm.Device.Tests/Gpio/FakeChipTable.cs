using EdgeLlm.Device.Gpio;

namespace EdgeLlm.Device.Tests.Gpio;

/// <summary>A machine's /dev/gpiochip* as a list, at the chip-table seam.</summary>
internal sealed class FakeChipTable(params GpioChipEntry[] chips) : IGpioChipTable
{
    public int Reads { get; private set; }

    public IReadOnlyList<GpioChipEntry> Chips()
    {
        Reads++;
        return chips;
    }
}
