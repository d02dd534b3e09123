using System.Globalization;

namespace EdgeLlm.Device.Power;

/// <summary>
/// No meter: power modelled from system CPU time in /proc/stat as idle watts + watts per core × busy cores
/// (docs/power.md gives the numbers). Its energy is the model integrated exactly over the CPU-time counter, so it is
/// a counter source; it is labelled an estimate everywhere it is reported.
/// </summary>
public sealed class EstimatedMonitor : IPowerMonitor
{
    private readonly string _procStat;
    private readonly double _idleWatts;
    private readonly double _wattsPerCore;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private CpuTicks _last;
    private long _lastTimestamp;
    private double _joules;
    private double _watts;

    public EstimatedMonitor(string procStat, double idleWatts, double wattsPerCore, TimeProvider? time = null)
    {
        _procStat = procStat;
        _idleWatts = idleWatts;
        _wattsPerCore = wattsPerCore;
        _time = time ?? TimeProvider.System;
        _last = ReadTicks();
        _lastTimestamp = _time.GetTimestamp();
        _watts = idleWatts;
        Cores = _last.Cores;
        Description = $"estimate from CPU time, not a measurement: {idleWatts} W idle + {wattsPerCore} W per busy core ({Cores} cores)";
    }

    public string Source => PowerSourceNames.Estimated;

    public string Description { get; }

    public bool IsEstimate => true;

    public bool HasEnergyCounter => true;

    public int Cores { get; }

    public PowerReading Read()
    {
        lock (_lock)
        {
            var now = ReadTicks();
            long timestamp = _time.GetTimestamp();
            double seconds = _time.GetElapsedTime(_lastTimestamp, timestamp).TotalSeconds;
            ulong total = now.Total - _last.Total;

            // Busy cores = busy share of all CPU ticks × cores; the ticks advance once per USER_HZ (10 ms) per core,
            // so within one tick the share is unknown and the last figure stands.
            if (total > 0)
            {
                double busyCores = (double)(now.Busy - _last.Busy) / total * Cores;
                _watts = _idleWatts + (_wattsPerCore * busyCores);
                _joules += _watts * seconds;
                _last = now;
                _lastTimestamp = timestamp;
                return new PowerReading(_watts, null, null, _joules, _time.GetUtcNow());
            }

            return new PowerReading(_watts, null, null, _joules + (_watts * seconds), _time.GetUtcNow());
        }
    }

    public void Dispose()
    {
    }

    private CpuTicks ReadTicks()
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(_procStat);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PowerSourceException($"estimated: cannot read {_procStat}: {e.Message}", e);
        }

        int cores = lines.Count(l => l.StartsWith("cpu", StringComparison.Ordinal) && l.Length > 3 && char.IsAsciiDigit(l[3]));
        string? all = lines.FirstOrDefault(l => l.StartsWith("cpu ", StringComparison.Ordinal));
        if (all is null || cores == 0)
        {
            throw new PowerSourceException($"estimated: {_procStat} has no 'cpu' and 'cpuN' lines");
        }

        // user nice system idle iowait irq softirq steal (guest time is already inside user)
        var f = all.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
            .Select(x => ulong.TryParse(x, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong v) ? v : throw new PowerSourceException($"estimated: {_procStat}: '{x}' is not a tick count"))
            .ToArray();
        if (f.Length < 4)
        {
            throw new PowerSourceException($"estimated: {_procStat}: the 'cpu' line has {f.Length} fields, expected 4 or more");
        }

        ulong total = 0;
        foreach (ulong v in f)
        {
            total += v;
        }

        ulong idle = f[3] + (f.Length > 4 ? f[4] : 0);
        ulong steal = f.Length > 7 ? f[7] : 0;
        return new CpuTicks(total, total - idle - steal, cores);
    }
}
