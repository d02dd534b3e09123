using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using EdgeLlm.EdgeRuntime.Tests.Infrastructure;

namespace EdgeLlm.EdgeRuntime.Tests.Cli;

/// <summary>
/// <c>edgellm doctor</c> as a child process on this machine (no GPIO chip, no I2C bus, no sound card): each item's
/// line, the fix under a failure, and the exit code.
/// </summary>
public class DoctorCliTests
{
    private string _folder = "";

    [SetUp]
    public void CreateFolder()
    {
        _folder = Path.Combine(Path.GetTempPath(), $"edgellm-doctor-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_folder);
    }

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    /// <summary>Runs doctor with a config file of <paramref name="settings"/> (section EdgeLlm), from an empty folder.</summary>
    private async Task<(int Exit, string[] Lines, string Err)> Doctor(object settings)
    {
        string config = Path.Combine(_folder, "doctor.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new { EdgeLlm = settings }));
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _folder,
        };
        foreach (string a in new[] { TestEnvironment.EdgeLlmDll, "doctor", "--config", config })
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries), await stderr);
    }

    private static string Item(string[] lines, string item)
    {
        var hits = lines.Where(l => l.Length > 6 && l[6..].StartsWith(item + " ", StringComparison.Ordinal)).ToList();
        Assert.That(hits, Has.Count.EqualTo(1), $"one line for {item} in:\n{string.Join('\n', lines)}");
        return hits[0];
    }

    /// <summary>The line after the item's: its fix.</summary>
    private static string FixOf(string[] lines, string item)
    {
        int i = Array.IndexOf(lines, Item(lines, item));
        Assert.That(i + 1, Is.LessThan(lines.Length), "a failure is followed by its fix");
        return lines[i + 1].Trim();
    }

    [Test]
    public async Task TheDemoModelWithNothingElseEnabledPassesEveryCheck()
    {
        var (exit, lines, err) = await Doctor(new { ModelPath = TestEnvironment.ModelPath, MqttPort = TestEnvironment.FreePort() });
        Assert.That(exit, Is.Zero, string.Join('\n', lines) + err);
        Assert.That(Item(lines, "model"), Does.StartWith("OK").And.Contain("stories260K").And.Contain("260,032 parameters"));
        Assert.That(Item(lines, "gpio"), Does.StartWith("SKIP").And.Contain("Gpio:Enabled is false"));
        Assert.That(Item(lines, "microphone"), Does.StartWith("SKIP"));
        Assert.That(Item(lines, "broker"), Does.StartWith("OK").And.Contain("is free"));
        Assert.That(lines.Where(l => l.StartsWith("FAIL", StringComparison.Ordinal)), Is.Empty);
        Assert.That(lines[^1], Does.Match(@"^doctor: all \d+ checks passed$"));
    }

    [Test]
    public async Task GpioEnabledWithoutTheChipFailsWithItsFixAndExitsNonZero()
    {
        var (exit, lines, _) = await Doctor(new
        {
            ModelPath = TestEnvironment.ModelPath,
            MqttPort = TestEnvironment.FreePort(),
            Gpio = new { Enabled = true, ButtonLine = 17, LedLine = 27 },
        });
        Assert.That(exit, Is.EqualTo(1), string.Join('\n', lines));
        string gpio = Item(lines, "gpio");
        Assert.That(gpio, Does.StartWith("FAIL").And.Contain("line 17"), "names the line the button needs");
        Assert.That(FixOf(lines, "gpio"), Does.StartWith("fix:").And.Contain("gpiodetect").And.Contain("Gpio:Enabled"));
        Assert.That(Item(lines, "model"), Does.StartWith("OK"), "the other items are still checked");
        Assert.That(lines[^1], Does.Match(@"^doctor: 1 of \d+ checks failed$"));
    }

    [Test]
    public async Task AMissingModelFails()
    {
        string missing = Path.Combine(_folder, "no-such-model.gguf");
        var (exit, lines, _) = await Doctor(new { ModelPath = missing, MqttPort = TestEnvironment.FreePort() });
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(Item(lines, "model"), Is.EqualTo($"FAIL  model          {missing}: not found"));
        Assert.That(FixOf(lines, "model"), Does.StartWith("fix: set EdgeLlm:ModelPath"));
        Assert.That(Item(lines, "configuration"), Does.StartWith("OK"), "the missing file is the model item's, not a configuration error");
    }

    [Test]
    public async Task ATruncatedModelFailsWithTheReadersReason()
    {
        string truncated = Path.Combine(_folder, "truncated.gguf");
        byte[] whole = await File.ReadAllBytesAsync(TestEnvironment.ModelPath);
        await File.WriteAllBytesAsync(truncated, whole[..(whole.Length / 2)]);
        var (exit, lines, _) = await Doctor(new { ModelPath = truncated, MqttPort = TestEnvironment.FreePort() });
        Assert.That(exit, Is.EqualTo(1));
        string model = Item(lines, "model");
        Assert.That(model, Does.StartWith("FAIL").And.Contain(truncated));
        Assert.That(model, Does.Not.Contain("not found"), "the file is there: what is wrong is its content");
        Assert.That(FixOf(lines, "model"), Does.StartWith("fix:").And.Contain("damaged"));
    }

    [Test]
    public async Task ABrokerOnAClosedPortFails()
    {
        int closed = TestEnvironment.FreePort();
        var (exit, lines, _) = await Doctor(new { ModelPath = TestEnvironment.ModelPath, Broker = $"127.0.0.1:{closed}" });
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(Item(lines, "broker"), Does.StartWith($"FAIL  broker         cannot connect to 127.0.0.1:{closed}:"));
        Assert.That(FixOf(lines, "broker"), Does.StartWith("fix:").And.Contain("mosquitto"));
    }

    [Test]
    public async Task ABrokerOnAnOpenPortIsReachable()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int open = ((IPEndPoint)listener.LocalEndpoint).Port;
        var (exit, lines, err) = await Doctor(new { ModelPath = TestEnvironment.ModelPath, Broker = $"127.0.0.1:{open}" });
        Assert.That(exit, Is.Zero, string.Join('\n', lines) + err);
        Assert.That(Item(lines, "broker"), Is.EqualTo($"OK    broker         127.0.0.1:{open} accepts connections"));
    }

    [Test]
    public async Task TheEmbeddedBrokersPortTakenFails()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int taken = ((IPEndPoint)listener.LocalEndpoint).Port;
        var (exit, lines, _) = await Doctor(new { ModelPath = TestEnvironment.ModelPath, MqttPort = taken });
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(Item(lines, "broker"), Does.StartWith($"FAIL  broker         embedded broker: cannot listen on 127.0.0.1:{taken}"));
        Assert.That(FixOf(lines, "broker"), Does.Contain("MqttPort"));
    }

    [Test]
    public async Task AMissingConfigFileIsOneLineAndExitTwo()
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _folder };
        foreach (string a in new[] { TestEnvironment.EdgeLlmDll, "doctor", "--config", Path.Combine(_folder, "absent.json") })
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        string output = await p.StandardOutput.ReadToEndAsync();
        string err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.That(p.ExitCode, Is.EqualTo(2));
        Assert.That(output, Is.Empty);
        Assert.That(err.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(err, Does.StartWith("edgellm doctor: configuration:").And.Contain("absent.json"));
    }
}
