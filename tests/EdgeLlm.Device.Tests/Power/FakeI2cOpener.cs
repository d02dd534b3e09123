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
        return Devices.TryGetValue((busId, address), out var d) ? new I2cHandle(d) : new NackingI2cDevice(new I2cConnectionSettings(busId, address));
    }
}
