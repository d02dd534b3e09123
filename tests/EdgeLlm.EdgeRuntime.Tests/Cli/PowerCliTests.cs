using System.Diagnostics;
using System.Globalization;
using EdgeLlm.EdgeRuntime.Tests.Infrastructure;

namespace EdgeLlm.EdgeRuntime.Tests.Cli;

/// <summary><c>edgellm power</c> as a child process: stdout, stderr and the exit code.</summary>
public class PowerCliTests
{
    private static async Task<(int Exit, string Out, string Err)> Run(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in environment)
        {
            psi.Environment[k] = v;
        }

        psi.ArgumentList.Add(TestEnvironment.EdgeLlmDll);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    [Test]
    public async Task EstimatedPrintsTwoLabelledReadings()
    {
        var (exit, output, err) = await Run(new Dictionary<string, string>(), "power", "--source", "estimated", "--count", "2", "--interval", "100");
        Assert.That(exit, Is.Zero, err);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(3), output);
        Assert.That(lines[0], Does.StartWith("# estimated (estimate): estimate from CPU time, not a measurement: 2.5 W idle + 1.5 W per busy core"));
        foreach (string line in lines[1..])
        {
            var fields = line.Split("  ");
            Assert.That(fields[1], Does.EndWith(" W"), line);
            double watts = double.Parse(fields[1][..^2], CultureInfo.InvariantCulture);
            Assert.That(watts, Is.InRange(2.5, 2.5 + (1.5 * Environment.ProcessorCount)), line);
            Assert.That(fields[2], Is.EqualTo("- V"));
            Assert.That(line, Does.EndWith("estimated (estimate)"));
        }
    }

    [Test]
    public async Task ConfigurationReachesTheSource()
    {
        var env = new Dictionary<string, string> { ["EDGELLM__POWER__ESTIMATEDIDLEWATTS"] = "7", ["EDGELLM__POWER__ESTIMATEDWATTSPERCORE"] = "0" };
        var (exit, output, err) = await Run(env, "power", "--source", "estimated");
        Assert.That(exit, Is.Zero, err);
        Assert.That(output, Does.Contain("7 W idle + 0 W per busy core").And.Contain("  7.000 W  "));
    }

    [Test]
    public async Task ABadSourceIsOneLineAndNonZero()
    {
        var (exit, output, err) = await Run(new Dictionary<string, string>(), "power", "--source", "solar");
        Assert.That(exit, Is.Not.Zero);
        Assert.That(output, Is.Empty);
        Assert.That(err.TrimEnd(), Is.EqualTo("edgellm power: EdgeLlm:Power:Source: 'solar' is not one of auto, ina219, ina236, hwmon, rapl, pi5-pmic, estimated"));
    }

    [Test]
    public async Task AnAbsentChosenSourceNamesItAndExitsNonZero()
    {
        string empty = Path.Combine(Path.GetTempPath(), $"edgellm-powercap-{Guid.NewGuid():N}");
        var env = new Dictionary<string, string> { ["EDGELLM__POWER__POWERCAPROOT"] = empty };
        var (exit, output, err) = await Run(env, "power", "--source", "rapl");
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(output, Is.Empty);
        Assert.That(err.TrimEnd(), Is.EqualTo($"edgellm power: rapl: no package zone (intel-rapl:N or amd-rapl:N with name package-*) under {empty}"));
    }
}
