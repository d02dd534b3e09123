using System.Net;
using System.Net.Sockets;

namespace EdgeLlm.EdgeRuntime.Tests.Infrastructure;

/// <summary>Paths and ports the tests use.</summary>
public static class TestEnvironment
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The bundled demo model (stories260K, Q8_0).</summary>
    public static string ModelPath => Path.Combine(RepoRoot, "models", "stories260K-q8_0.gguf");

    /// <summary>
    /// A model that generates slowly enough (hundreds of tokens/s, 2 048-token context) that a stop or a kill reliably
    /// lands mid-generation: MobileLLM-125M's width with 4 layers, random weights, written once per run.
    /// </summary>
    public static string SlowModelPath => SlowModel.Value;

    private static readonly Lazy<string> SlowModel = new(() =>
    {
        string path = Path.Combine(Path.GetTempPath(), $"edgellm-slow-{Environment.ProcessId}.gguf");
        var config = EdgeLlm.Kernels.Import.MobileLlmPresets.Get("mobilellm-125m") with { Layers = 4, Name = "slow-test-model" };
        EdgeLlm.Kernels.Import.SyntheticModel.Write(config, EdgeLlm.Kernels.Gguf.GgmlType.Q8_0, 7, path);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(path);
        return path;
    });

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
