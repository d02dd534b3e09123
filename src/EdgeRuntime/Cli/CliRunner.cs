using EdgeLlm.Kernels.Gguf;

namespace EdgeLlm.EdgeRuntime.Cli;

/// <summary>Runs a verb's body and turns any failure into the contract's one-line reason on stderr and exit code 1.</summary>
internal static class CliRunner
{
    public static async Task<int> RunAsync(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("edgellm: cancelled");
            return 130;
        }
        catch (Exception e) when (e is GgufFormatException or InvalidDataException or IOException or ArgumentException
                                      or NotSupportedException or InvalidOperationException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"edgellm: {e.Message}");
            return 1;
        }
    }

    public static Task<int> Run(Func<int> body) => RunAsync(() => Task.FromResult(body()));

    /// <summary>A UTF-8 stdout that writes through, so streamed text appears as it is generated.</summary>
    public static TextWriter StdOut() =>
        new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false)) { AutoFlush = true };
}
