using System.Device.I2c;

namespace EdgeLlm.Device.Power;

/// <summary>/dev/i2c-N through System.Device.I2c.</summary>
public sealed class LinuxI2cOpener : II2cOpener
{
    public string Describe(int busId) => $"/dev/i2c-{busId}";

    public I2cDevice? Open(int busId, int address)
    {
        string path = Describe(busId);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            // System.Device.I2c opens the node lazily and reports a denied open as a bare IOException on the first
            // transfer; opening it here first names the real cause.
            using var probe = File.Open(path, FileMode.Open, FileAccess.ReadWrite);
        }
        catch (UnauthorizedAccessException)
        {
            throw new PowerSourceException($"{path}: permission denied: add the user to the i2c group (sudo usermod -aG i2c $USER) and log in again");
        }
        catch (IOException e)
        {
            throw new PowerSourceException($"{path}: cannot open: {e.Message}", e);
        }

        return I2cDevice.Create(new I2cConnectionSettings(busId, address));
    }
}
