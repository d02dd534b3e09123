using System.Text.Json.Nodes;
using EdgeLlm.EdgeRuntime.Tests.Infrastructure;

namespace EdgeLlm.EdgeRuntime.Tests.Deployment;

/// <summary>
/// hardware/install.sh into fake roots (--root): the real script, the real shadow tools (useradd/groupadd
/// --prefix), the real jq merge; apt-get and systemctl are what a fake root only prints.
/// </summary>
[NonParallelizable]
public class InstallScriptTests
{
    private static readonly string[] ActionVerbs = ["create", "install", "update", "write", "link", "replace", "remove", "set", "add", "record", "run:"];

    private static int Octal(string s) => Convert.ToInt32(s, 8);

    private static string UnitSource => Path.Combine(InstallScript.HardwareDir, "systemd", "edgellm.service");

    private static string DefaultsSource => Path.Combine(InstallScript.HardwareDir, "systemd", "appsettings.json");

    private static List<string> Actions(ScriptRun run, string prefix = "") =>
        [.. run.Lines.Where(l => l.StartsWith(prefix, StringComparison.Ordinal) && ActionVerbs.Contains(l[prefix.Length..].Split(' ')[0])).Select(l => l[prefix.Length..])];

    [Test]
    public void DryRunChangesNothingAndListsEveryAction()
    {
        using var root = new FakeRoot();
        var before = TreeSnapshot.Capture(root.Root);

        var dry = InstallScript.Install(root, "--board", "pi5", "--dry-run");

        Assert.That(TreeSnapshot.Capture(root.Root).Diff(before), Is.Empty, "the dry run changed the fake root");
        var planned = Actions(dry, "would ");
        Assert.That(planned, Does.Contain("create system user edgellm (groups gpio,i2c,audio,video, no login, home /var/lib/edgellm)"));
        Assert.That(planned, Does.Contain($"install {root["/opt/edgellm/edgellm"]} (0755 root:root)"));
        Assert.That(planned, Does.Contain($"link {root["/etc/systemd/system/multi-user.target.wants/edgellm.service"]} -> /etc/systemd/system/edgellm.service"));
        Assert.That(dry.Stdout, Does.Contain("a real run would: apt-get install -y libgpiod2 alsa-utils libpocketsphinx3 pocketsphinx-en-us espeak-ng jq"));
        Assert.That(dry.Lines[^1], Is.EqualTo($"dry run: {planned.Count} actions, nothing changed"));

        // what the dry run announced is exactly what the real run then does, in the same order
        var real = InstallScript.Install(root, "--board", "pi5");
        Assert.That(Actions(real), Is.EqualTo(planned));
        Assert.That(real.Lines[^1], Is.EqualTo($"installed: {planned.Count} changes made"));
    }

    [Test]
    public void FakeRootInstallLaysOutFilesUserGroupsAndUnit()
    {
        using var root = new FakeRoot();
        var run = InstallScript.Install(root, "--board", "pi5");
        var t = TreeSnapshot.Capture(root.Root);

        // the service user: a system account without login, primary group edgellm, in gpio/i2c/audio/video
        Assert.That(root.Account("passwd", "edgellm", 6), Is.EqualTo("/usr/sbin/nologin"));
        Assert.That(root.Account("passwd", "edgellm", 5), Is.EqualTo("/var/lib/edgellm"));
        int uid = int.Parse(root.Account("passwd", "edgellm", 2)!, System.Globalization.CultureInfo.InvariantCulture);
        int gid = int.Parse(root.Account("group", "edgellm", 2)!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(uid, Is.InRange(100, 999), "a system user");
        Assert.That(root.Account("passwd", "edgellm", 3), Is.EqualTo(gid.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        foreach (var g in new[] { "gpio", "i2c", "audio", "video" })
        {
            Assert.That(root.Account("group", g, 3)!.Split(','), Does.Contain("edgellm"), $"edgellm in {g}");
        }

        Assert.That(root.Account("group", "audio", 2), Is.EqualTo("29"), "an existing group is used, not recreated");
        Assert.That(File.ReadAllText(root["etc/shadow"]), Does.Contain("edgellm:"), "shadow entry written");

        // the program, root's and read-only for the service
        Assert.That(t["opt/edgellm"] with { MTime = "" }, Is.EqualTo(new TreeEntry('d', Octal("755"), 0, 0, "", "", "")));
        Assert.That(t["opt/edgellm/edgellm"] with { MTime = "", Sha256 = "" }, Is.EqualTo(new TreeEntry('f', Octal("755"), 0, 0, "", "", "")));
        var model = t["opt/edgellm/models/stories260K-q8_0.gguf"];
        Assert.That((model.Mode, model.Uid, model.Gid), Is.EqualTo((Octal("644"), 0, 0)));
        Assert.That(File.ReadAllBytes(root["opt/edgellm/models/stories260K-q8_0.gguf"]), Is.EqualTo(File.ReadAllBytes(TestEnvironment.ModelPath)));

        // the configuration: readable by the service, not by others (it may hold the broker password)
        var cfg = t["etc/edgellm/appsettings.json"];
        Assert.That((cfg.Mode, cfg.Uid, cfg.Gid), Is.EqualTo((Octal("640"), 0, gid)));
        var merged = JsonNode.Parse(root.Read("etc/edgellm/appsettings.json"))!["EdgeLlm"]!;
        var defaults = JsonNode.Parse(File.ReadAllText(DefaultsSource))!["EdgeLlm"]!.AsObject();
        var profile = JsonNode.Parse(File.ReadAllText(Path.Combine(InstallScript.HardwareDir, "boards", "pi5", "appsettings.json")))!["EdgeLlm"]!.AsObject();
        foreach (var (key, value) in defaults)
        {
            var expected = profile.ContainsKey(key) && value is not JsonObject ? profile[key] : value;
            if (value is not JsonObject)
            {
                Assert.That(JsonNode.DeepEquals(merged[key], expected), Is.True, $"{key}: {merged[key]?.ToJsonString()} != {expected?.ToJsonString()}");
            }
        }

        Assert.That((string?)merged["Gpio"]!["Chip"], Is.EqualTo("pinctrl-rp1"));
        Assert.That((string?)merged["ModelPath"], Is.EqualTo("/opt/edgellm/models/stories260K-q8_0.gguf"));

        // state and models: the service user's
        Assert.That(t["var/lib/edgellm"] with { MTime = "" }, Is.EqualTo(new TreeEntry('d', Octal("750"), uid, gid, "", "", "")));
        Assert.That(t["var/lib/edgellm/models"] with { MTime = "" }, Is.EqualTo(new TreeEntry('d', Octal("755"), uid, gid, "", "", "")));

        // the unit, as in the repository, enabled the way systemctl enable does it
        var unit = t["etc/systemd/system/edgellm.service"];
        Assert.That((unit.Mode, unit.Uid, unit.Gid), Is.EqualTo((Octal("644"), 0, 0)));
        Assert.That(File.ReadAllBytes(root["etc/systemd/system/edgellm.service"]), Is.EqualTo(File.ReadAllBytes(UnitSource)));
        Assert.That(t["etc/systemd/system/multi-user.target.wants/edgellm.service"].Link, Is.EqualTo("/etc/systemd/system/edgellm.service"));
        Assert.That(run.Stdout, Does.Contain("a real run would: systemctl enable --now edgellm.service"));

        // nothing else was written: every path is one of these (or a backup the shadow tools keep)
        string[] expectedPaths =
        [
            "etc", "etc/passwd", "etc/group", "etc/shadow", "etc/gshadow", "etc/os-release",
            "etc/passwd-", "etc/group-", "etc/shadow-", "etc/gshadow-",
            "etc/edgellm", "etc/edgellm/appsettings.json",
            "etc/systemd", "etc/systemd/system", "etc/systemd/system/edgellm.service",
            "etc/systemd/system/multi-user.target.wants", "etc/systemd/system/multi-user.target.wants/edgellm.service",
            "opt", "opt/edgellm", "opt/edgellm/.install-state", "opt/edgellm/edgellm", "opt/edgellm/models",
            "opt/edgellm/models/stories260K-q8_0.gguf", "var", "var/lib", "var/lib/edgellm", "var/lib/edgellm/models",
        ];
        Assert.That(t.Entries.Keys, Is.EquivalentTo(expectedPaths));
    }

    [Test]
    public void SecondInstallChangesNothingAndSaysSo()
    {
        using var root = new FakeRoot(raspberryPiOs: true);
        InstallScript.Install(root, "--board", "pi4", "--with-mosquitto");
        var first = TreeSnapshot.Capture(root.Root);

        var again = InstallScript.Install(root, "--board", "pi4", "--with-mosquitto");

        Assert.That(TreeSnapshot.Capture(root.Root).Diff(first), Is.Empty, "the second run changed the tree (content, mode, owner or mtime)");
        Assert.That(Actions(again), Is.Empty);
        Assert.That(again.Lines[^1], Is.EqualTo("nothing to change: EdgeLlm is installed as asked"));
        var cfg = JsonNode.Parse(root.Read("etc/edgellm/appsettings.json"))!["EdgeLlm"]!;
        Assert.That((string?)cfg["Broker"], Is.EqualTo("127.0.0.1:1883"), "--with-mosquitto points the service at the local broker");
        Assert.That(again.Stdout, Does.Contain("apt-get install -y libgpiod2 alsa-utils libpocketsphinx3 pocketsphinx-en-us espeak-ng jq mosquitto"));
    }

    [Test]
    public void UninstallRemovesWhatInstallMadeAndKeepsConfigAndModels()
    {
        using var root = new FakeRoot(raspberryPiOs: true);
        var before = TreeSnapshot.Capture(root.Root);
        InstallScript.Install(root, "--board", "zero2w");
        root.Write("var/lib/edgellm/models/mine.gguf", "a model the user put there", Octal("644"));
        root.Write("var/lib/edgellm/cache.bin", "state the service wrote", Octal("644"));
        var installed = TreeSnapshot.Capture(root.Root);

        var dry = InstallScript.Uninstall(root, "--dry-run");
        Assert.That(TreeSnapshot.Capture(root.Root).Diff(installed), Is.Empty, "the dry run changed something");
        var run = InstallScript.Uninstall(root);
        Assert.That(Actions(run), Is.EqualTo(Actions(dry, "would ")));

        var after = TreeSnapshot.Capture(root.Root);
        // kept: the configuration and the models (their folders stay with them); the shadow tools' backups
        string[] kept =
        [
            "etc/edgellm", "etc/edgellm/appsettings.json", "var", "var/lib", "var/lib/edgellm", "var/lib/edgellm/models",
            "var/lib/edgellm/models/mine.gguf", "etc/passwd-", "etc/group-", "etc/shadow-", "etc/gshadow-",
        ];
        var diff = before.Diff(after, times: false).Where(d => !kept.Contains(d[2..])).ToList();
        Assert.That(diff, Is.Empty, "uninstall left or removed more than it should");
        Assert.That(after.Contains("var/lib/edgellm/cache.bin"), Is.False);
        Assert.That(after.Contains("opt"), Is.False, "the /opt install made is removed again");
        foreach (var f in new[] { "etc/passwd", "etc/group", "etc/shadow", "etc/gshadow" })
        {
            Assert.That(after[f].Sha256, Is.EqualTo(before[f].Sha256), $"{f} is back as it was (user, edgellm group gone; pi's gpio and i2c groups kept)");
        }

        Assert.That(run.Stdout, Does.Contain($"keeping {root["/etc/edgellm"]} (--purge removes it)"));
        Assert.That(InstallScript.Uninstall(root).Lines[^1], Is.EqualTo("nothing to remove: EdgeLlm is not installed"));

        InstallScript.Uninstall(root, "--purge");
        var purged = TreeSnapshot.Capture(root.Root);
        Assert.That(purged.Contains("etc/edgellm") || purged.Contains("var/lib/edgellm"), Is.False, "--purge removes config and models");
    }

    [Test]
    public void UninstallAfterAFreshInstallLeavesTheBareRootAsItWas()
    {
        using var root = new FakeRoot();
        var before = TreeSnapshot.Capture(root.Root);
        InstallScript.Install(root);
        InstallScript.Uninstall(root, "--purge");
        var diff = before.Diff(TreeSnapshot.Capture(root.Root), times: false)
            .Where(d => d is not ("+ etc/passwd-" or "+ etc/group-" or "+ etc/shadow-" or "+ etc/gshadow-"));
        Assert.That(diff, Is.Empty);
    }

    [Test]
    public void AnEditedConfigurationIsKept()
    {
        using var root = new FakeRoot();
        InstallScript.Install(root, "--board", "pi5");
        var edited = root.Read("etc/edgellm/appsettings.json").Replace("\"DeviceId\": \"\"", "\"DeviceId\": \"kitchen\"", StringComparison.Ordinal);
        Assert.That(edited, Does.Contain("kitchen"));
        File.WriteAllText(root["etc/edgellm/appsettings.json"], edited);

        var run = InstallScript.Install(root, "--board", "zero2w");

        Assert.That(root.Read("etc/edgellm/appsettings.json"), Is.EqualTo(edited));
        Assert.That(run.Stdout, Does.Contain($"keeping {root["/etc/edgellm/appsettings.json"]}: it was edited"));
        var dist = JsonNode.Parse(root.Read("etc/edgellm/appsettings.json.dist"))!["EdgeLlm"]!;
        Assert.That((string?)dist["Gpio"]!["Chip"], Is.EqualTo("pinctrl-bcm2835"), "the new version is beside it");
        var snapshot = TreeSnapshot.Capture(root.Root);
        Assert.That(Actions(InstallScript.Install(root, "--board", "zero2w")), Is.Empty);
        Assert.That(TreeSnapshot.Capture(root.Root).Diff(snapshot), Is.Empty);
    }

    [Test]
    public void AConfigurationThatWasThereBeforeTheFirstInstallIsKept()
    {
        using var root = new FakeRoot();
        const string Mine = "{ \"EdgeLlm\": { \"Broker\": \"broker.lan\" } }\n";
        root.Write("etc/edgellm/appsettings.json", Mine, Octal("600"));

        var run = InstallScript.Install(root);

        Assert.That(root.Read("etc/edgellm/appsettings.json"), Is.EqualTo(Mine));
        Assert.That(TreeSnapshot.Capture(root.Root)["etc/edgellm/appsettings.json"].Mode, Is.EqualTo(Octal("600")), "not even its mode is touched");
        Assert.That(run.Stdout, Does.Contain("keeping"));
    }

    [Test]
    public void AnUneditedConfigurationFollowsANewBoard()
    {
        using var root = new FakeRoot();
        InstallScript.Install(root, "--board", "pi5");
        var run = InstallScript.Install(root, "--board", "pi4");

        var cfg = JsonNode.Parse(root.Read("etc/edgellm/appsettings.json"))!["EdgeLlm"]!;
        Assert.That((string?)cfg["Gpio"]!["Chip"], Is.EqualTo("pinctrl-bcm2711"));
        Assert.That(Actions(run), Has.One.StartsWith($"write {root["/etc/edgellm/appsettings.json"]} (0640 root:edgellm; not edited since the last install"));
        Assert.That(File.Exists(root["etc/edgellm/appsettings.json.dist"]), Is.False);
    }

    [TestCase("bookworm", "libgpiod2")]
    [TestCase("trixie", "libgpiod3")]
    public void TheReleaseChoosesTheLibgpiodPackage(string codename, string gpiod)
    {
        using var root = new FakeRoot(codename);
        var run = InstallScript.Install(root, "--dry-run");
        Assert.That(run.Stdout, Does.Contain($"release: {codename}"));
        Assert.That(run.Stdout, Does.Contain($"apt-get install -y {gpiod} alsa-utils libpocketsphinx3 pocketsphinx-en-us espeak-ng jq\n"));
    }

    [TestCase("Raspberry Pi 5 Model B Rev 1.0", "pi5", "pinctrl-rp1")]
    [TestCase("Raspberry Pi 4 Model B Rev 1.5", "pi4", "pinctrl-bcm2711")]
    [TestCase("Raspberry Pi Zero 2 W Rev 1.0", "zero2w", "pinctrl-bcm2835")]
    public void TheBoardIsFoundInTheDeviceTree(string model, string board, string chip)
    {
        using var root = new FakeRoot();
        root.Write("proc/device-tree/model", model + "\0", Octal("444"));
        var run = InstallScript.Install(root);
        Assert.That(run.Stdout, Does.Contain($"board: {board} (from {root["/proc/device-tree/model"]})"));
        var cfg = JsonNode.Parse(root.Read("etc/edgellm/appsettings.json"))!["EdgeLlm"]!;
        Assert.That((string?)cfg["Gpio"]!["Chip"], Is.EqualTo(chip));
    }

    [Test]
    public void WithoutABoardGpioStaysAsTheDefaultsHaveIt()
    {
        using var root = new FakeRoot();
        var run = InstallScript.Install(root);
        Assert.That(run.Stdout, Does.Contain("board: none given or detected"));
        Assert.That(JsonNode.DeepEquals(JsonNode.Parse(root.Read("etc/edgellm/appsettings.json")), JsonNode.Parse(File.ReadAllText(DefaultsSource))), Is.True);
    }

    [TestCase("--bogus", "unknown option '--bogus'")]
    [TestCase("--board pi3", "unknown board 'pi3'")]
    [TestCase("--board", "--board needs a value")]
    [TestCase("--from --dry-run", "--from needs a value")]
    [TestCase("--purge", "--purge only goes with --uninstall")]
    [TestCase("--uninstall --board pi5", "--uninstall takes no --from")]
    [TestCase("--root /nonexistent-edgellm-root", "--root /nonexistent-edgellm-root: no such directory")]
    [TestCase("--from {empty}", "no edgellm executable in it")]
    [TestCase("--dry-run", "no published program beside install.sh: pass --from DIR")]
    [TestCase("--from {nomodel}", "no models/stories260K-q8_0.gguf in it")]
    public void BadOptionsAreOneLineErrorsAndChangeNothing(string args, string message)
    {
        using var root = new FakeRoot();
        var empty = Directory.CreateDirectory(Path.Combine(root.Published, "..", "empty")).FullName;
        var nomodel = Directory.CreateDirectory(Path.Combine(root.Published, "..", "nomodel")).FullName;
        File.Copy(Path.Combine(root.Published, "edgellm"), Path.Combine(nomodel, "edgellm"));
        var argv = args.Replace("{empty}", empty, StringComparison.Ordinal).Replace("{nomodel}", nomodel, StringComparison.Ordinal).Split(' ');
        var before = TreeSnapshot.Capture(root.Root);
        string[] withRoot = argv.Contains("--root") ? argv : [.. argv, "--root", root.Root];

        var run = InstallScript.Run(withRoot);

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Stdout, Is.Empty);
        Assert.That(run.Stderr.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1), run.Stderr);
        Assert.That(run.Stderr, Does.StartWith("install.sh: ").And.Contain(message));
        Assert.That(TreeSnapshot.Capture(root.Root).Diff(before), Is.Empty);
    }

    [Test]
    public void TheScriptInsideAPublishedFolderInstallsThatFolder()
    {
        // publish output that carries the installer: install.sh, systemd/ and boards/ beside the executable
        using var root = new FakeRoot();
        File.Copy(InstallScript.ScriptPath, Path.Combine(root.Published, "install.sh"));
        foreach (var file in Directory.GetFiles(Path.Combine(InstallScript.HardwareDir, "systemd")).Concat(Directory.GetFiles(Path.Combine(InstallScript.HardwareDir, "boards"), "*", SearchOption.AllDirectories)))
        {
            var target = Path.Combine(root.Published, Path.GetRelativePath(InstallScript.HardwareDir, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        var run = ScriptRun.Start("bash", Path.Combine(root.Published, "install.sh"), "--root", root.Root, "--board", "pi4");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(File.ReadAllBytes(root["opt/edgellm/edgellm"]), Is.EqualTo(File.ReadAllBytes(Path.Combine(root.Published, "edgellm"))));
        Assert.That(File.Exists(root["opt/edgellm/install.sh"]), Is.True, "the installer travels with the program");
        Assert.That(JsonNode.Parse(root.Read("etc/edgellm/appsettings.json"))!["EdgeLlm"]!["Gpio"]!["Chip"]!.GetValue<string>(), Is.EqualTo("pinctrl-bcm2711"));
    }

    [Test]
    public void AnUnsupportedReleaseIsRefusedBeforeAnythingChanges()
    {
        using var root = new FakeRoot("bullseye");
        var before = TreeSnapshot.Capture(root.Root);
        var run = InstallScript.Run("--from", root.Published, "--root", root.Root);
        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        Assert.That(run.Stderr, Is.EqualTo("install.sh: unsupported release 'bullseye' (bookworm or trixie: Raspberry Pi OS or Debian 12/13)\n"));
        Assert.That(TreeSnapshot.Capture(root.Root).Diff(before), Is.Empty);
    }

    [Test]
    public void ShellcheckFindsNothing()
    {
        ScriptRun run;
        try
        {
            run = ScriptRun.Start("shellcheck", "--severity=style", InstallScript.ScriptPath);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Fail($"shellcheck is not installed (scripts/install-deps installs it): {e.Message}");
            return;
        }

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Stdout + run.Stderr, Is.Empty);
    }
}
