using EdgeLlm.EdgeRuntime.Tests.Infrastructure;

namespace EdgeLlm.EdgeRuntime.Tests.Deployment;

/// <summary>
/// A temporary root file system shaped like a fresh Debian or Raspberry Pi OS install (the account files and
/// os-release, nothing else: install.sh must make every folder it needs), and beside it a "published" folder
/// as hardware/publish.sh leaves it: an edgellm executable (here a small shell script) and the bundled model.
/// </summary>
public sealed class FakeRoot : IDisposable
{
    private readonly string _dir;

    /// <param name="codename">VERSION_CODENAME in etc/os-release.</param>
    /// <param name="raspberryPiOs">Raspberry Pi OS already has gpio and i2c groups (with its user pi in them).</param>
    public FakeRoot(string codename = "bookworm", bool raspberryPiOs = false)
    {
        _dir = Directory.CreateTempSubdirectory("edgellm-install-").FullName;
        Root = Path.Combine(_dir, "root");
        Published = Path.Combine(_dir, "published");

        var passwd = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n" +
                     "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
        var group = "root:x:0:\ndaemon:x:1:\nshadow:x:42:\naudio:x:29:\nvideo:x:44:\nnogroup:x:65534:\n";
        var shadow = "root:*:20000:0:99999:7:::\ndaemon:*:20000:0:99999:7:::\nnobody:*:20000:0:99999:7:::\n";
        var gshadow = "root:*::\ndaemon:*::\nshadow:*::\naudio:*::\nvideo:*::\nnogroup:*::\n";
        if (raspberryPiOs)
        {
            passwd += "pi:x:1000:1000:,,,:/home/pi:/bin/bash\n";
            group += "pi:x:1000:\ni2c:x:994:pi\ngpio:x:993:pi\n";
            shadow += "pi:!:20000:0:99999:7:::\n";
            gshadow += "pi:!::\ni2c:!::pi\ngpio:!::pi\n";
        }

        Write("etc/passwd", passwd, 0b110_100_100);
        Write("etc/group", group, 0b110_100_100);
        Write("etc/shadow", shadow, 0b110_100_000);
        Write("etc/gshadow", gshadow, 0b110_100_000);
        Write("etc/os-release", $"PRETTY_NAME=\"Debian GNU/Linux ({codename})\"\nNAME=\"Debian GNU/Linux\"\nVERSION_CODENAME={codename}\nID=debian\n", 0b110_100_100);

        Directory.CreateDirectory(Path.Combine(Published, "models"));
        var exe = Path.Combine(Published, "edgellm");
        File.WriteAllText(exe, "#!/bin/sh\necho \"edgellm (test stand-in) $*\"\n");
        SetMode(exe, 0b111_101_101);
        File.Copy(TestEnvironment.ModelPath, Path.Combine(Published, "models", "stories260K-q8_0.gguf"));
    }

    /// <summary>The root file system install.sh gets as --root.</summary>
    public string Root { get; }

    /// <summary>The published program install.sh gets as --from.</summary>
    public string Published { get; }

    /// <summary>A path inside the root, given as on the board (<c>/etc/edgellm</c> or <c>etc/edgellm</c>).</summary>
    public string this[string path] => Path.Combine(Root, path.TrimStart('/'));

    public string Read(string path) => File.ReadAllText(this[path]);

    public void Write(string path, string text, int mode)
    {
        var full = this[path];
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
        SetMode(full, mode);
    }

    private static void SetMode(string path, int mode)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("install.sh targets Linux");
        }

        File.SetUnixFileMode(path, (UnixFileMode)mode);
    }

    /// <summary>Field <paramref name="field"/> (0-based) of the line for <paramref name="name"/> in etc/passwd or etc/group; null if absent.</summary>
    public string? Account(string file, string name, int field)
    {
        foreach (var line in File.ReadAllLines(this["etc/" + file]))
        {
            var f = line.Split(':');
            if (f[0] == name)
            {
                return f[field];
            }
        }

        return null;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
