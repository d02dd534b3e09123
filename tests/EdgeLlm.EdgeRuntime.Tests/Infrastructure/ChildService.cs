using System.Diagnostics;
using System.Text;
using EdgeLlm.EdgeRuntime.Service;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeLlm.EdgeRuntime.Tests.Infrastructure;

/// <summary><c>dotnet edgellm.dll serve …</c> as a child process, for tests that kill the service.</summary>
public sealed class ChildService : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private ChildService(Process process)
    {
        _process = process;
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public int ExitCode => _process.ExitCode;

    public static ChildService Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    public static ChildService Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            WorkingDirectory = TestEnvironment.RepoRoot,
        };
        foreach (var (k, v) in environment)
        {
            psi.Environment[k] = v;
        }

        psi.ArgumentList.Add(TestEnvironment.EdgeLlmDll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var p = Process.Start(psi)!;
        var child = new ChildService(p);
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (child._stderr)
                {
                    child._stderr.AppendLine(e.Data);
                }
            }
        };
        p.OutputDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        return child;
    }

    /// <summary>SIGKILL: no graceful stop, no acknowledgement of anything in flight.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.WaitForExit();
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
