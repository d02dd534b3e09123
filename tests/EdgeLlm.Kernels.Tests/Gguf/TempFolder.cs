namespace EdgeLlm.Kernels.Tests.Gguf;

/// <summary>A private temporary directory, deleted on Dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    private int _next;

    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "edgellm-gguf-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>A fresh file name inside the folder.</summary>
    public string NewFile(string extension = ".gguf") =>
        System.IO.Path.Combine(Path, $"f{Interlocked.Increment(ref _next)}{extension}");

    public string Write(byte[] bytes)
    {
        string path = NewFile();
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
