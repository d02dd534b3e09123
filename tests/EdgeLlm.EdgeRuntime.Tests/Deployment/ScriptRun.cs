using System.Diagnostics;

namespace EdgeLlm.EdgeRuntime.Tests.Deployment;

/// <summary>One run of a script or tool as a child process: its exit code and what it printed.</summary>
public sealed record ScriptRun(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Output lines, without empty ones.</summary>
    public IReadOnlyList<string> Lines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}--- stderr\n{Stderr}";

    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/>; a tool that is not installed is an exception, never a skip.</summary>
    public static ScriptRun Start(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["LC_ALL"] = "C";
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 120 s");
        }

        return new ScriptRun(p.ExitCode, stdout.Result, stderr.Result);
    }
}
