using System.Diagnostics;

namespace EdgeLlm.Device.Tests.Speech;

/// <summary>Real speech for the tests: espeak-ng (22 050 Hz mono WAV) and sox for variants of it.</summary>
internal static class Espeak
{
    /// <summary>140 words a minute: at espeak-ng's default 175 "what time is it" came out too clipped for the
    /// grammar decoder (no hypothesis); at 130 and 150 all six test commands decoded exactly.</summary>
    public const int WordsPerMinute = 140;

    public static string Say(string text, string folder, string name)
    {
        string path = Path.Combine(folder, name);
        Run("espeak-ng", "-s", WordsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture), "-w", path, text);
        return path;
    }

    /// <summary><c>sox IN [options] OUT [effects]</c>; returns OUT.</summary>
    public static string Sox(string input, string output, params string[] arguments)
    {
        int split = Array.IndexOf(arguments, "--");
        string[] format = split < 0 ? arguments : arguments[..split];
        string[] effects = split < 0 ? [] : arguments[(split + 1)..];
        Run("sox", [input, .. format, output, .. effects]);
        return output;
    }

    public static void Run(string program, params string[] arguments)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in arguments)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(30_000))
        {
            p.Kill();
            throw new TimeoutException($"{program} did not finish");
        }

        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({p.ExitCode}): {err}");
        }
    }
}
