using System.Text.RegularExpressions;

namespace EdgeLlm.Device.Power;

/// <summary>
/// powercap RAPL package zones (docs/power.md): each top-level <c>intel-rapl:N</c> (or <c>amd-rapl:N</c>) zone whose
/// <c>name</c> is package-*, its <c>energy_uj</c> counter unfolded at <c>max_energy_range_uj</c>, summed over packages.
/// It measures the CPU package only: not DRAM, the board, the disk or the power supply's losses.
/// </summary>
public sealed partial class RaplMonitor : IPowerMonitor
{
    private readonly List<(string File, WrappingCounter Counter)> _zones;
    private readonly CounterRate _rate;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();

    private RaplMonitor(List<(string File, WrappingCounter Counter)> zones, IEnumerable<string> names, TimeProvider time)
    {
        _zones = zones;
        _time = time;
        _rate = new CounterRate(time);
        _rate.Start(0);
        Description = $"RAPL {string.Join(" + ", names)}: CPU package energy only (no DRAM, board or supply losses)";
    }

    public string Source => PowerSourceNames.Rapl;

    public string Description { get; }

    public bool IsEstimate => false;

    public bool HasEnergyCounter => true;

    public static RaplMonitor? TryOpen(string root, TimeProvider time, out string reason)
    {
        var zones = new List<(string, WrappingCounter)>();
        var names = new List<string>();
        foreach (string folder in SysfsFile.Folders(root).Where(f => TopLevelZone().IsMatch(Path.GetFileName(f))))
        {
            string? name = SysfsFile.ReadText(Path.Combine(folder, "name"));
            string energy = Path.Combine(folder, "energy_uj");
            if (name is null || !name.StartsWith("package-", StringComparison.Ordinal) || !File.Exists(energy))
            {
                continue;
            }

            ulong start;
            try
            {
                start = SysfsFile.ReadUnsigned(energy);
            }
            catch (UnauthorizedAccessException)
            {
                reason = $"rapl: {energy} is readable by root only (since the CVE-2020-8694 fix): run as root, or allow it: sudo chmod a+r {root}/*/energy_uj (again after each boot, or in a udev rule)";
                return null;
            }
            catch (Exception e) when (e is IOException or InvalidDataException)
            {
                reason = $"rapl: {energy}: {e.Message}";
                return null;
            }

            ulong? max = null;
            try
            {
                max = SysfsFile.ReadUnsigned(Path.Combine(folder, "max_energy_range_uj"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                // without the range a counter that goes back counts as reset
            }

            zones.Add((energy, new WrappingCounter(start, max)));
            names.Add($"{name} ({Path.GetFileName(folder)})");
        }

        if (zones.Count == 0)
        {
            reason = $"rapl: no package zone (intel-rapl:N or amd-rapl:N with name package-*) under {root}";
            return null;
        }

        reason = "";
        return new RaplMonitor(zones, names, time);
    }

    public PowerReading Read()
    {
        lock (_lock)
        {
            double microjoules = 0;
            foreach (var (file, counter) in _zones)
            {
                try
                {
                    microjoules += counter.Update(SysfsFile.ReadUnsigned(file));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
                {
                    throw new PowerSourceException($"rapl: reading {file} failed: {e.Message}", e);
                }
            }

            double joules = microjoules / 1e6;
            return new PowerReading(_rate.Next(joules), null, null, joules, _time.GetUtcNow());
        }
    }

    public void Dispose()
    {
    }

    [GeneratedRegex(@"^[a-z]+-rapl:\d+$")]
    private static partial Regex TopLevelZone();
}
