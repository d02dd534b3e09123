using System.Globalization;

namespace EdgeLlm.Device.Power;

/// <summary>Reading one-value sysfs attributes.</summary>
internal static class SysfsFile
{
    public static string? ReadText(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>An integer attribute; throws IOException / UnauthorizedAccessException as the kernel reports them.</summary>
    public static long ReadInteger(string path)
    {
        string text = File.ReadAllText(path).Trim();
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v)
            ? v
            : throw new InvalidDataException($"{path}: '{text}' is not an integer");
    }

    public static ulong ReadUnsigned(string path)
    {
        string text = File.ReadAllText(path).Trim();
        return ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong v)
            ? v
            : throw new InvalidDataException($"{path}: '{text}' is not an unsigned integer");
    }

    /// <summary>Sub-folders (sysfs class entries are symbolic links to folders) in natural order: hwmon2 before hwmon10.</summary>
    public static IEnumerable<string> Folders(string root) =>
        !Directory.Exists(root)
            ? []
            : Directory.EnumerateFileSystemEntries(root).Where(Directory.Exists).Order(NaturalStringComparer.Instance);
}
