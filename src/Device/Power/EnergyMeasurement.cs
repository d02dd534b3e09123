namespace EdgeLlm.Device.Power;

/// <summary>One window of an <see cref="EnergyMeter"/>: started on construction, ended by <see cref="Stop"/>.</summary>
public sealed class EnergyMeasurement : IDisposable
{
    private readonly EnergyMeter _meter;
    private readonly Lock _lock = new();
    private readonly long _start;
    private readonly double _startJoules;
    private readonly ITimer _timer;
    private long _lastTimestamp;
    private double _lastWatts;
    private double _integral;
    private EnergyResult? _result;

    internal EnergyMeasurement(EnergyMeter meter)
    {
        _meter = meter;
        var first = meter.Monitor.Read();
        _start = meter.Time.GetTimestamp();
        _lastTimestamp = _start;
        _lastWatts = first.Watts;
        _startJoules = first.EnergyJoules ?? 0;
        Counter = meter.Monitor.HasEnergyCounter && first.EnergyJoules is not null;
        var period = Counter ? EnergyMeter.CounterPollPeriod : meter.SamplePeriod;
        _timer = meter.Time.CreateTimer(_ => Tick(), null, period, period);
    }

    /// <summary>True when the window is the counter's difference, false when it integrates samples.</summary>
    public bool Counter { get; }

    /// <summary>Samples integrated so far (counter windows: polls), for tests and diagnostics.</summary>
    public int Samples { get; private set; }

    /// <summary>Ends the window (once; later calls return the same result).</summary>
    public EnergyResult Stop()
    {
        _timer.Dispose();
        lock (_lock)
        {
            if (_result is { } done)
            {
                return done;
            }

            var last = _meter.Monitor.Read();
            long now = _meter.Time.GetTimestamp();
            double joules;
            if (Counter)
            {
                joules = (last.EnergyJoules ?? _startJoules) - _startJoules;
            }
            else
            {
                Integrate(last.Watts, now);
                joules = _integral;
            }

            double seconds = _meter.Time.GetElapsedTime(_start, now).TotalSeconds;
            double average = seconds > 0 ? joules / seconds : last.Watts;
            var result = new EnergyResult(joules, average, seconds, _meter.Monitor.Source, _meter.Monitor.IsEstimate);
            _result = result;
            return result;
        }
    }

    public void Dispose() => _timer.Dispose();

    private void Tick()
    {
        lock (_lock)
        {
            if (_result is not null)
            {
                return;
            }

            PowerReading r;
            try
            {
                r = _meter.Monitor.Read();
            }
            catch (PowerSourceException)
            {
                // a failed sample leaves a longer trapezoid; Stop reports a source that stays broken
                return;
            }

            Samples++;
            if (!Counter)
            {
                Integrate(r.Watts, _meter.Time.GetTimestamp());
            }
        }
    }

    private void Integrate(double watts, long now)
    {
        double dt = _meter.Time.GetElapsedTime(_lastTimestamp, now).TotalSeconds;
        _integral += (_lastWatts + watts) / 2 * dt;
        _lastWatts = watts;
        _lastTimestamp = now;
    }
}
