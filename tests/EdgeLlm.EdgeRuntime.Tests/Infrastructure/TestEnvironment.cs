using System.Net;
using System.Net.Sockets;

namespace EdgeLlm.EdgeRuntime.Tests.Infrastructure;

/// <summary>Paths and ports the tests use.</summary>
public static class TestEnvironment
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The bundled demo model (stories260K, Q8_0).</summary>
    public static string ModelPath => Path.Combine(RepoRoot, "models", "stories260K-q8_0.gguf");

    /// <summary>The built CLI, run as a child process with <c>dotnet edgellm.dll …</c>.</summary>
    public static string EdgeLlmDll => Path.Combine(AppContext.BaseDirectory, "edgellm.dll");

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task WaitForPortAsync(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
        }
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EdgeLlm.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("EdgeLlm.sln not found above " + AppContext.BaseDirectory);
    }
}
