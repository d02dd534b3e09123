using System.Diagnostics;

namespace EdgeLlm.EdgeRuntime.Tests.Infrastructure;

/// <summary>
/// A real mosquitto broker on a free loopback port, started by the test (installed by scripts/install-deps).
/// Persistence is on and saved on every change, so a broker killed with SIGKILL and restarted keeps its
/// sessions, subscriptions and queued QoS 1 messages.
/// </summary>
public sealed class Mosquitto : IDisposable
{
    private readonly string _dir;
    private readonly string _conf;
    private Process? _process;

    private Mosquitto(int port, Func<string, string>? listenerConfig, bool anonymous)
    {
        Port = port;
        _dir = Directory.CreateTempSubdirectory("edgellm-mosquitto-").FullName;
        // mosquitto started as root drops to the "mosquitto" user: it must still write its persistence file here
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(_dir, (UnixFileMode)0b111_111_111);
        }

        _conf = Path.Combine(_dir, "mosquitto.conf");
        var extra = listenerConfig?.Invoke(_dir) ?? "";
        File.WriteAllText(_conf, $"""
            persistence true
            persistence_location {_dir}/
            autosave_on_changes true
            autosave_interval 1
            max_queued_messages 100000
            log_dest stderr
            log_type error
            allow_anonymous {(anonymous ? "true" : "false")}
            listener {port} 127.0.0.1
            {extra}

            """);
    }

    /// <summary>The folder holding the configuration (and any files a test writes for it).</summary>
    public string Folder => _dir;

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    public static string? Executable { get; } = new[] { "/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto" }.FirstOrDefault(File.Exists);

    /// <param name="listenerConfig">Lines for the listener (given the broker's folder, to write files into).</param>
    /// <param name="anonymous">Whether clients without credentials are let in.</param>
    public static async Task<Mosquitto> StartAsync(Func<string, string>? listenerConfig = null, bool anonymous = true)
    {
        if (Executable is null)
        {
            Assert.Fail("mosquitto is not installed (bash scripts/install-deps installs it)");
        }

        var m = new Mosquitto(TestEnvironment.FreePort(), listenerConfig, anonymous);
        await m.RestartAsync();
        return m;
    }

    /// <summary>SIGKILL: no clean shutdown, no last save.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process?.Dispose();
        _process = null;
    }

    public async Task RestartAsync()
    {
        Kill();
        var psi = new ProcessStartInfo(Executable!, ["-c", _conf])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        _process = Process.Start(psi)!;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                TestContext.Progress.WriteLine("mosquitto: " + e.Data);
            }
        };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        await TestEnvironment.WaitForPortAsync(Port, TimeSpan.FromSeconds(10));
    }

    public void Dispose()
    {
        Kill();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
