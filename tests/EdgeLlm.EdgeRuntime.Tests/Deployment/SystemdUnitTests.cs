namespace EdgeLlm.EdgeRuntime.Tests.Deployment;

/// <summary>hardware/systemd/edgellm.service fits what install.sh lays out, and systemd accepts every line of it.</summary>
public class SystemdUnitTests
{
    private static string UnitPath => Path.Combine(InstallScript.HardwareDir, "systemd", "edgellm.service");

    /// <summary>Key → values of the [Service] section (a key may repeat).</summary>
    private static ILookup<string, string> Service()
    {
        var section = "";
        var pairs = new List<(string Key, string Value)>();
        foreach (var raw in File.ReadAllLines(UnitPath))
        {
            var line = raw.Trim();
            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                section = line;
            }
            else if (section == "[Service]" && line.Length > 0 && !line.StartsWith('#'))
            {
                var eq = line.IndexOf('=', StringComparison.Ordinal);
                pairs.Add((line[..eq], line[(eq + 1)..]));
            }
        }

        return pairs.ToLookup(p => p.Key, p => p.Value);
    }

    [Test]
    public void TheUnitNamesWhatInstallLaidOut()
    {
        using var root = new FakeRoot();
        InstallScript.Install(root, "--board", "pi5");
        var s = Service();

        Assert.That(s["Type"].Single(), Is.EqualTo("notify"));
        Assert.That(int.Parse(s["WatchdogSec"].Single(), System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(0));
        Assert.That(s["User"].Single(), Is.EqualTo("edgellm"));
        Assert.That(root.Account("passwd", s["User"].Single(), 0), Is.Not.Null, "the unit's user exists after install");
        Assert.That(root.Account("group", s["Group"].Single(), 0), Is.Not.Null, "the unit's group exists after install");

        var exec = s["ExecStart"].Single().Split(' ');
        Assert.That(exec, Is.EqualTo(new[] { "/opt/edgellm/edgellm", "serve", "--config", "/etc/edgellm/appsettings.json" }));
        Assert.That(File.Exists(root[exec[0]]), Is.True, "ExecStart's program is installed");
        Assert.That(File.Exists(root[exec[3]]), Is.True, "the --config file is installed");
        Assert.That(Directory.Exists(root[s["WorkingDirectory"].Single()]), Is.True);

        var groups = s["SupplementaryGroups"].Single().Split(' ');
        Assert.That(groups, Is.SupersetOf(new[] { "gpio", "i2c", "audio" }));
        foreach (var g in groups)
        {
            Assert.That(root.Account("group", g, 3)?.Split(','), Does.Contain("edgellm"), $"group {g} exists and holds the service user");
        }

        // ProtectSystem=strict makes everything read-only but these: the state and models folder
        Assert.That(s["ProtectSystem"].Single(), Is.EqualTo("strict"));
        var writable = s["ReadWritePaths"].SelectMany(v => v.Split(' ')).ToList();
        Assert.That(writable, Is.EqualTo(new[] { "/var/lib/edgellm" }));
        Assert.That(writable.Concat(s["ReadOnlyPaths"].SelectMany(v => v.Split(' '))).Select(p => Directory.Exists(root[p])), Is.All.True);

        // the button, LED, sensor and microphone are device nodes: a private /dev would hide them
        Assert.That(s["PrivateDevices"], Is.Empty.Or.All.EqualTo("false"));
        Assert.That(s["DeviceAllow"], Is.SupersetOf(new[] { "char-gpiochip rw", "char-i2c rw", "char-alsa rw" }));
    }

    [Test]
    public void SystemdAcceptsEveryLine()
    {
        // verify also checks that ExecStart exists on this machine, which it does not (only on a board): that one
        // complaint is expected, any other (an unknown key, a bad value) fails the test.
        ScriptRun run;
        try
        {
            run = ScriptRun.Start("systemd-analyze", "verify", UnitPath);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Fail($"systemd-analyze is not installed (scripts/install-deps installs systemd): {e.Message}");
            return;
        }

        Assert.That(Complaints(run), Is.Empty, run.ToString());

        // and the check is not blind: the same unit with a misspelt key is reported
        var dir = Directory.CreateTempSubdirectory("edgellm-unit-").FullName;
        try
        {
            var broken = Path.Combine(dir, "edgellm.service");
            File.WriteAllText(broken, File.ReadAllText(UnitPath).Replace("WatchdogSec=", "WatchDogSec=", StringComparison.Ordinal));
            Assert.That(Complaints(ScriptRun.Start("systemd-analyze", "verify", broken)), Has.Some.Contains("Unknown key 'WatchDogSec'"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static List<string> Complaints(ScriptRun run) =>
        [.. (run.Stdout + run.Stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.EndsWith("Command /opt/edgellm/edgellm is not executable: No such file or directory", StringComparison.Ordinal))];
}
