using System.Net.Sockets;
using System.Text;
using EdgeLlm.EdgeRuntime.Tests.Infrastructure;

namespace EdgeLlm.EdgeRuntime.Tests;

/// <summary>The watchdog pings systemd's notify socket (here a datagram socket the test owns).</summary>
public class SystemdTests
{
    [Test]
    public async Task WatchdogPingsTheNotifySocket()
    {
        var dir = Directory.CreateTempSubdirectory("edgellm-notify-").FullName;
        var path = Path.Combine(dir, "notify.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));

        var env = new Dictionary<string, string> { ["NOTIFY_SOCKET"] = path, ["WATCHDOG_USEC"] = "400000" };
        using var child = ChildService.Start(env, "serve", "--model", TestEnvironment.ModelPath, "--mqtt-port", TestEnvironment.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--device-id", "wd" + Guid.NewGuid().ToString("N")[..6], "--threads", "1", "--log-level", "warning");

        var pings = 0;
        var buffer = new byte[256];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (pings < 3)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            if (Encoding.ASCII.GetString(buffer, 0, n).Contains("WATCHDOG=1", StringComparison.Ordinal))
            {
                pings++;
            }
        }

        Assert.That(pings, Is.EqualTo(3), child.Stderr);
        child.Kill();
        Directory.Delete(dir, recursive: true);
    }
}
