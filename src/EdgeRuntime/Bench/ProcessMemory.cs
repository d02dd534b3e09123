using System.Globalization;

namespace EdgeLlm.EdgeRuntime.Bench;

/// <summary>
/// This process's memory, split into the model's file-backed mapping and everything else.
/// </summary>
/// <remarks>
/// Method (Linux): /proc/self/status gives VmRSS (resident now) and VmHWM (peak resident). /proc/self/smaps lists every
/// mapping with its resident pages; the mappings whose path is the model file are the weights (flash-backed, clean,
/// dropped and re-read by the kernel under pressure rather than swapped). Everything else this process holds on its own,
/// Private_Clean + Private_Dirty of the other mappings (GC heap, KV cache, activation buffers, JIT code, the runtime's
/// private pages), is the memory beyond the mapped weights. Pages of shared libraries that other processes also map are
/// Shared_* and are not counted. /proc/self/smaps_rollup's totals are reported alongside as a cross-check.
/// </remarks>
public sealed record ProcessMemory(double RssMb, double PeakRssMb, double ModelMapRssMb, double PrivateBeyondMapMb, double PrivateDirtyMb, double AnonMb)
{
    private const double Mb = 1024 * 1024;

    /// <summary>Reads the numbers now; null when /proc is not there (not Linux).</summary>
    public static ProcessMemory? Read(string modelPath)
    {
        const string status = "/proc/self/status", smaps = "/proc/self/smaps";
        if (!File.Exists(status) || !File.Exists(smaps))
        {
            return null;
        }

        var s = File.ReadAllLines(status);
        string model = Path.GetFullPath(modelPath);
        long modelRss = 0, privateBeyond = 0, privateDirty = 0;
        bool inModel = false;
        foreach (string line in File.ReadLines(smaps))
        {
            if (IsMappingHeader(line, out string? path))
            {
                inModel = path == model;
                continue;
            }

            long kb = FieldKb(line, "Rss:");
            if (kb >= 0)
            {
                if (inModel)
                {
                    modelRss += kb;
                }

                continue;
            }

            long clean = FieldKb(line, "Private_Clean:"), dirty = FieldKb(line, "Private_Dirty:");
            if (dirty >= 0)
            {
                privateDirty += dirty;
            }

            if (!inModel)
            {
                privateBeyond += Math.Max(clean, 0) + Math.Max(dirty, 0);
            }
        }

        return new ProcessMemory(
            Status(s, "VmRSS:") * 1024 / Mb,
            Status(s, "VmHWM:") * 1024 / Mb,
            modelRss * 1024 / Mb,
            privateBeyond * 1024 / Mb,
            privateDirty * 1024 / Mb,
            Status(s, "RssAnon:") * 1024 / Mb);
    }

    /// <summary>A mapping line: "start-end perms offset dev inode [path]".</summary>
    private static bool IsMappingHeader(string line, out string? path)
    {
        path = null;
        int dash = line.IndexOf('-');
        if (dash <= 0 || !Uri.IsHexDigit(line[0]) || line.IndexOf(':') is int colon && colon >= 0 && colon < dash)
        {
            return false;
        }

        var parts = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 5 || !parts[0].Contains('-'))
        {
            return false;
        }

        path = parts.Length == 6 ? parts[5].Trim() : null;
        return true;
    }

    private static long FieldKb(string line, string name) =>
        line.StartsWith(name, StringComparison.Ordinal)
        && long.TryParse(line.AsSpan(name.Length).Trim().TrimEnd("kB").Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long v)
            ? v : -1;

    private static long Status(string[] lines, string name)
    {
        foreach (string l in lines)
        {
            long v = FieldKb(l, name);
            if (v >= 0)
            {
                return v;
            }
        }

        return 0;
    }
}
