using EdgeLlm.EdgeRuntime.Tests.Infrastructure;

namespace EdgeLlm.EdgeRuntime.Tests.Deployment;

/// <summary>hardware/install.sh, run with bash as a user would run it.</summary>
public static class InstallScript
{
    public static string HardwareDir => Path.Combine(TestEnvironment.RepoRoot, "hardware");

    public static string ScriptPath => Path.Combine(HardwareDir, "install.sh");

    public static ScriptRun Run(params string[] args) => ScriptRun.Start("bash", [ScriptPath, .. args]);

    /// <summary>Installs <paramref name="root"/>'s published folder into it; the run must succeed.</summary>
    public static ScriptRun Install(FakeRoot root, params string[] args)
    {
        var run = Run(["--from", root.Published, "--root", root.Root, .. args]);
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        return run;
    }

    public static ScriptRun Uninstall(FakeRoot root, params string[] args)
    {
        var run = Run(["--uninstall", "--root", root.Root, .. args]);
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        return run;
    }
}
