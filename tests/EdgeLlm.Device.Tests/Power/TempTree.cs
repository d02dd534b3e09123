namespace EdgeLlm.Device.Tests.Power;

/// <summary>A folder tree under the temp folder standing in for /sys/class/... or /proc, deleted on dispose.</summary>
public sealed class TempTree : IDisposable
{
    public TempTree()
    {
        Root = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"edgellm-power-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    /// <summary>Writes <paramref name="text"/> (plus a newline, as sysfs prints) to a file under the root.</summary>
    public string Write(string relative, string text)
    {
        string path = System.IO.Path.Combine(Root, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text + "\n");
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
