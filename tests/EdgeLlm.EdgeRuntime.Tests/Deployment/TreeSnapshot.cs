using System.Globalization;
using System.Security.Cryptography;

namespace EdgeLlm.EdgeRuntime.Tests.Deployment;

/// <summary>
/// Every path under a folder with its type, mode, numeric owner and group, modification time, link target and
/// content hash (from GNU find, which reports owners .NET cannot). Two equal snapshots are byte-identical trees.
/// </summary>
public sealed class TreeSnapshot
{
    private TreeSnapshot(SortedDictionary<string, TreeEntry> entries) => Entries = entries;

    public SortedDictionary<string, TreeEntry> Entries { get; }

    public TreeEntry this[string path] => Entries.TryGetValue(path.TrimStart('/'), out var e)
        ? e
        : throw new AssertionException($"{path} does not exist; the tree has:\n{string.Join('\n', Entries.Keys)}");

    public bool Contains(string path) => Entries.ContainsKey(path.TrimStart('/'));

    public static TreeSnapshot Capture(string root)
    {
        var run = ScriptRun.Start("find", root, "-mindepth", "1", "-printf", "%P\\t%y\\t%m\\t%U\\t%G\\t%T@\\t%l\\n");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        var entries = new SortedDictionary<string, TreeEntry>(StringComparer.Ordinal);
        foreach (var line in run.Lines)
        {
            var f = line.Split('\t');
            var hash = f[1] == "f" ? Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(root, f[0])))) : "";
            entries[f[0]] = new TreeEntry(f[1][0], Convert.ToInt32(f[2], 8), int.Parse(f[3], CultureInfo.InvariantCulture),
                int.Parse(f[4], CultureInfo.InvariantCulture), f[5], f[6], hash);
        }

        return new TreeSnapshot(entries);
    }

    /// <summary>What differs from <paramref name="other"/>, one line per path; with <paramref name="times"/> false, modification times do not count.</summary>
    public List<string> Diff(TreeSnapshot other, bool times = true)
    {
        var d = new List<string>();
        foreach (var (path, e) in Entries)
        {
            if (!other.Entries.TryGetValue(path, out var o))
            {
                d.Add($"- {path}");
            }
            else if (times ? e != o : e with { MTime = "" } != o with { MTime = "" })
            {
                d.Add($"~ {path}: {e} -> {o}");
            }
        }

        d.AddRange(other.Entries.Keys.Where(p => !Entries.ContainsKey(p)).Select(p => $"+ {p}"));
        return d;
    }
}
