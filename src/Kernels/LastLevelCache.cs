using System.Globalization;

namespace EdgeLlm.Kernels;

/// <summary>
/// The level-3 cache of CPU 0 as Linux describes it in sysfs (<c>cache/index*/level</c>, <c>type</c>, <c>size</c>), or
/// why it could not be read. The model load asks it whether the weights stream from memory (<see cref="Quant.KernelTable.StreamingWeights"/>);
/// the bench's DRAM probe must read a buffer several times this size, or it measures the cache.
/// </summary>
/// <param name="Bytes">The level-3 size, or null when sysfs does not say.</param>
/// <param name="Source">Where the size came from, or why it is missing (one line, printed by <c>bench</c>).</param>
public sealed record LastLevelCache(long? Bytes, string Source)
{
    /// <summary>The sysfs folder of CPU 0's caches on Linux.</summary>
    public const string SysfsRoot = "/sys/devices/system/cpu/cpu0/cache";

    /// <summary>Reads the level-3 data or unified cache under <paramref name="cacheRoot"/> (a folder of <c>index*</c> folders).</summary>
    public static LastLevelCache Read(string cacheRoot = SysfsRoot)
    {
        try
        {
            if (!Directory.Exists(cacheRoot))
            {
                return new LastLevelCache(null, $"cannot read the level-3 cache size: {cacheRoot} does not exist");
            }

            foreach (string dir in Directory.GetDirectories(cacheRoot, "index*").OrderBy(d => d, StringComparer.Ordinal))
            {
                string? level = ReadLine(Path.Combine(dir, "level"));
                string? type = ReadLine(Path.Combine(dir, "type"));
                if (level != "3" || type == "Instruction")
                {
                    continue;
                }

                string sizeFile = Path.Combine(dir, "size");
                string? size = ReadLine(sizeFile);
                if (size is null)
                {
                    return new LastLevelCache(null, $"cannot read the level-3 cache size: {sizeFile} is missing");
                }

                if (ParseSize(size) is not { } bytes)
                {
                    return new LastLevelCache(null, $"cannot read the level-3 cache size: '{size}' in {sizeFile} is not a size");
                }

                return new LastLevelCache(bytes, sizeFile);
            }

            return new LastLevelCache(null, $"cannot read the level-3 cache size: no level-3 cache listed in {cacheRoot}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new LastLevelCache(null, $"cannot read the level-3 cache size: {e.Message}");
        }
    }

    /// <summary>sysfs cache sizes: "32768K", "32M", "1G" or a plain byte count; null when malformed.</summary>
    public static long? ParseSize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string s = text.Trim();
        long mult = 1;
        if (s.Length > 0 && char.ToUpperInvariant(s[^1]) is 'K' or 'M' or 'G')
        {
            mult = char.ToUpperInvariant(s[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, _ => 1L << 30 };
            s = s[..^1];
        }

        return long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long v) && v > 0 && v <= long.MaxValue / mult ? v * mult : null;
    }

    private static string? ReadLine(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : null;
}
