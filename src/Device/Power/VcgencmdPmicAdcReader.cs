using System.ComponentModel;
using System.Diagnostics;

namespace EdgeLlm.Device.Power;

/// <summary>Runs <c>vcgencmd pmic_read_adc</c> (Raspberry Pi 5 firmware mailbox, /dev/vcio).</summary>
public sealed class VcgencmdPmicAdcReader(string executable = "vcgencmd") : IPmicAdcReader
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public string Read()
    {
        var psi = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("pmic_read_adc");
        Process? p;
        try
        {
            p = Process.Start(psi);
        }
        catch (Win32Exception)
        {
            throw new PowerSourceException($"pi5-pmic: {executable} not found: it ships with Raspberry Pi OS (package raspi-utils; libraspberrypi-bin on older releases)");
        }

        if (p is null)
        {
            throw new PowerSourceException($"pi5-pmic: {executable} did not start");
        }

        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(Timeout))
            {
                p.Kill(entireProcessTree: true);
                throw new PowerSourceException($"pi5-pmic: {executable} pmic_read_adc did not answer within {Timeout.TotalSeconds:F0} s");
            }

            string output = stdout.GetAwaiter().GetResult();
            string error = stderr.GetAwaiter().GetResult().Trim();
            if (p.ExitCode != 0)
            {
                string why = error.Length > 0 ? error : output.Trim();
                string fix = why.Contains("ermission", StringComparison.Ordinal) || why.Contains("vcio", StringComparison.Ordinal)
                    ? ": add the user to the video group (sudo usermod -aG video $USER)"
                    : "";
                throw new PowerSourceException($"pi5-pmic: {executable} pmic_read_adc failed (exit {p.ExitCode}): {FirstLine(why)}{fix}");
            }

            return output;
        }
    }

    private static string FirstLine(string s)
    {
        int n = s.IndexOf('\n');
        return n < 0 ? s : s[..n].TrimEnd();
    }
}
