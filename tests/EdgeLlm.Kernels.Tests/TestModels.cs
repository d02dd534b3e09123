using System.Collections.Concurrent;
using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Import;
using EdgeLlm.Kernels.Tokenization;

namespace EdgeLlm.Kernels.Tests;

/// <summary>GGUF files converted by our own converter from the real stories260K checkpoint, once per test run.</summary>
public static class TestModels
{
    private static readonly ConcurrentDictionary<GgmlType, Lazy<string>> Stories = new();
    private static readonly string Folder = Directory.CreateTempSubdirectory("edgellm-models-").FullName;

    public static string CheckpointPath => SharedData.PathOf("models", "stories260K", "stories260K.bin");

    public static string TokenizerPath => SharedData.PathOf("models", "stories260K", "tok512.bin");

    /// <summary>stories260K converted to <paramref name="type"/> (same command as the bundled model).</summary>
    public static string Stories260K(GgmlType type) => Stories.GetOrAdd(type, t => new Lazy<string>(() =>
    {
        string path = Path.Combine(Folder, $"stories260K-{t.ToString().ToLowerInvariant()}.gguf");
        Llama2cCheckpoint.Read(CheckpointPath).WriteGguf(path, LlamaTokenizer.FromLlama2cFile(TokenizerPath), t, "stories260K");
        return path;
    })).Value;

    /// <summary>A fresh temp file path that is deleted at the end of the run.</summary>
    public static string TempFile(string name) => Path.Combine(Folder, $"{Guid.NewGuid():N}-{name}");
}
