using System.Text.RegularExpressions;

namespace EdgeLlm.Device.Power;

/// <summary>
/// A Linux hwmon sensor (docs/power.md): <c>power*_input</c> in µW, <c>energy*_input</c> in µJ (a cumulative counter),
/// or <c>in*_input</c> in mV times <c>curr*_input</c> in mA with the same index. The first sensor (in hwmonN order)
/// that has power or energy wins; else the first with a voltage/current pair. Within a sensor, the lowest channel.
/// </summary>
public sealed partial class HwmonMonitor : IPowerMonitor
{
    private readonly string? _powerFile;
    private readonly string? _energyFile;
    private readonly string? _voltsFile;
    private readonly string? _ampsFile;
    private readonly WrappingCounter? _energy;
    private readonly CounterRate? _rate;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();

    private HwmonMonitor(string folder, string sensor, string? power, string? energy, string? volts, string? amps, TimeProvider time)
    {
        _powerFile = power;
        _energyFile = energy;
        _voltsFile = volts;
        _ampsFile = amps;
        _time = time;
        Folder = folder;
        Sensor = sensor;
        if (energy is not null)
        {
            _energy = new WrappingCounter(SysfsFile.ReadUnsigned(energy), null);
            _rate = new CounterRate(time);
            _rate.Start(0);
        }

        string what = power is not null ? Path.GetFileName(power) + (energy is not null ? " + " + Path.GetFileName(energy) : "")
            : energy is not null ? Path.GetFileName(energy)
            : $"{Path.GetFileName(volts)} × {Path.GetFileName(amps)}";
        Description = $"hwmon sensor '{sensor}' ({Path.GetFileName(folder)}, {what}): whatever that sensor meters";
    }

    public string Source => PowerSourceNames.Hwmon;

    public string Description { get; }

    public bool IsEstimate => false;

    public bool HasEnergyCounter => _energyFile is not null;

    /// <summary>The sensor's <c>name</c>.</summary>
    public string Sensor { get; }

    /// <summary>The hwmonN folder.</summary>
    public string Folder { get; }

    /// <summary>The first usable sensor under <paramref name="root"/>, or null with the reason.</summary>
    public static HwmonMonitor? TryOpen(string root, TimeProvider time, out string reason)
    {
        var folders = SysfsFile.Folders(root).ToList();
        if (folders.Count == 0)
        {
            reason = $"hwmon: no sensors under {root}";
            return null;
        }

        var names = new List<string>();
        HwmonMonitor? pairOnly = null;
        foreach (string folder in folders)
        {
            string name = SysfsFile.ReadText(Path.Combine(folder, "name")) ?? Path.GetFileName(folder);
            names.Add(name);
            var files = Directory.EnumerateFiles(folder).Select(Path.GetFileName).OfType<string>().ToHashSet();
            string? power = Lowest(files, PowerInput(), folder);
            string? energy = Lowest(files, EnergyInput(), folder);
            var (volts, amps) = LowestPair(files, folder);
            if (power is not null && !Readable(power))
            {
                power = null;
            }

            if (energy is not null && !Readable(energy))
            {
                energy = null;
            }

            if (volts is not null && !(Readable(volts) && Readable(amps!)))
            {
                volts = amps = null;
            }

            if (power is not null || energy is not null)
            {
                pairOnly?.Dispose();
                reason = "";
                return new HwmonMonitor(folder, name, power, energy, volts, amps, time);
            }

            if (volts is not null && pairOnly is null)
            {
                pairOnly = new HwmonMonitor(folder, name, null, null, volts, amps, time);
            }
        }

        reason = pairOnly is null
            ? $"hwmon: none of the {folders.Count} sensors under {root} ({string.Join(", ", names)}) has power*_input, energy*_input or in*_input with curr*_input"
            : "";
        return pairOnly;
    }

    public PowerReading Read()
    {
        lock (_lock)
        {
            try
            {
                double? volts = _voltsFile is null ? null : SysfsFile.ReadInteger(_voltsFile) / 1e3;
                double? amps = _ampsFile is null ? null : SysfsFile.ReadInteger(_ampsFile) / 1e3;
                double? joules = null;
                double? counterWatts = null;
                if (_energyFile is not null)
                {
                    joules = _energy!.Update(SysfsFile.ReadUnsigned(_energyFile)) / 1e6;
                    counterWatts = _rate!.Next(joules.Value);
                }

                double watts = _powerFile is not null ? SysfsFile.ReadInteger(_powerFile) / 1e6
                    : counterWatts ?? volts!.Value * amps!.Value;
                return new PowerReading(watts, volts, amps, joules, _time.GetUtcNow());
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                throw new PowerSourceException($"hwmon: reading sensor '{Sensor}' in {Folder} failed: {e.Message}", e);
            }
        }
    }

    public void Dispose()
    {
    }

    private static bool Readable(string path)
    {
        try
        {
            SysfsFile.ReadInteger(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return false;
        }
    }

    private static string? Lowest(HashSet<string> files, Regex pattern, string folder) =>
        files.Select(f => pattern.Match(f)).Where(m => m.Success).OrderBy(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))
            .Select(m => Path.Combine(folder, m.Value)).FirstOrDefault();

    private static (string? Volts, string? Amps) LowestPair(HashSet<string> files, string folder)
    {
        foreach (var m in files.Select(f => CurrInput().Match(f)).Where(m => m.Success).OrderBy(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)))
        {
            string volts = $"in{m.Groups[1].Value}_input";
            if (files.Contains(volts))
            {
                return (Path.Combine(folder, volts), Path.Combine(folder, m.Value));
            }
        }

        return (null, null);
    }

    [GeneratedRegex(@"^power(\d+)_input$")]
    private static partial Regex PowerInput();

    [GeneratedRegex(@"^energy(\d+)_input$")]
    private static partial Regex EnergyInput();

    [GeneratedRegex(@"^curr(\d+)_input$")]
    private static partial Regex CurrInput();
}
