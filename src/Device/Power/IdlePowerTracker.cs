namespace EdgeLlm.Device.Power;

/// <summary>
/// The board's idle power (docs/power.md): while told it is idle, reads the monitor once per sample period and averages
/// power over the most recent idle time (counter differences, or trapezoids of samples). The first
/// <c>settle</c> after each idle start is skipped: the reply that just ended still shows in it (the last
/// sample interval straddles it). Nothing is read while busy.
/// </summary>
public sealed class IdlePowerTracker : IDisposable
{
    private readonly IPowerMonitor _monitor;
    private readonly TimeProvider _time;
    private readonly TimeSpan _settle;
    private readonly TimeSpan _window;
    private readonly ITimer _timer;
    private readonly Lock _lock = new();
    private readonly Queue<(double Joules, double Seconds)> _segments = new();
    private double _joules;
    private double _seconds;
    private bool _idle;
    private long _idleSince;
    private (long Timestamp, PowerReading Reading)? _previous;

    /// <param name="monitor">The source.</param>
    /// <param name="time">Clock and timer; null = system.</param>
    /// <param name="samplePeriod">Default 1 s: idle power changes slowly, and the pi5-pmic source starts a process per read.</param>
    /// <param name="settle">Default 1 s.</param>
    /// <param name="window">Idle time averaged over; default 5 min.</param>
    public IdlePowerTracker(IPowerMonitor monitor, TimeProvider? time = null, TimeSpan? samplePeriod = null, TimeSpan? settle = null, TimeSpan? window = null)
    {
        _monitor = monitor;
        _time = time ?? TimeProvider.System;
        _settle = settle ?? TimeSpan.FromSeconds(1);
        _window = window ?? TimeSpan.FromMinutes(5);
        var period = samplePeriod ?? TimeSpan.FromSeconds(1);
        if (period <= TimeSpan.Zero || _window <= TimeSpan.Zero || _settle < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(samplePeriod), "sample period and window must be > 0, settle >= 0");
        }

        _timer = _time.CreateTimer(_ => Tick(), null, period, period);
    }

    public bool IsIdle
    {
        get
        {
            lock (_lock)
            {
                return _idle;
            }
        }
    }

    /// <summary>Average idle power; null until some idle time has been measured.</summary>
    public double? IdleWatts
    {
        get
        {
            lock (_lock)
            {
                return _seconds > 0 ? _joules / _seconds : null;
            }
        }
    }

    /// <summary>Idle seconds the average covers (at most the window).</summary>
    public double IdleSeconds
    {
        get
        {
            lock (_lock)
            {
                return _seconds;
            }
        }
    }

    public string Source => _monitor.Source;

    public bool IsEstimate => _monitor.IsEstimate;

    /// <summary>Call with true when the service has nothing to do, false when work starts.</summary>
    public void SetIdle(bool idle)
    {
        lock (_lock)
        {
            if (idle == _idle)
            {
                return;
            }

            _idle = idle;
            _previous = null;
            _idleSince = _time.GetTimestamp();
        }
    }

    public void Dispose() => _timer.Dispose();

    private void Tick()
    {
        lock (_lock)
        {
            long now = _time.GetTimestamp();
            if (!_idle || _time.GetElapsedTime(_idleSince, now) < _settle)
            {
                return;
            }

            PowerReading reading;
            try
            {
                reading = _monitor.Read();
            }
            catch (PowerSourceException)
            {
                _previous = null;
                return;
            }

            if (_previous is { } p)
            {
                double seconds = _time.GetElapsedTime(p.Timestamp, now).TotalSeconds;
                double joules = reading.EnergyJoules is { } e && p.Reading.EnergyJoules is { } e0 && _monitor.HasEnergyCounter
                    ? e - e0
                    : (p.Reading.Watts + reading.Watts) / 2 * seconds;
                Add(joules, seconds);
            }

            _previous = (now, reading);
        }
    }

    private void Add(double joules, double seconds)
    {
        if (seconds <= 0)
        {
            return;
        }

        _segments.Enqueue((joules, seconds));
        _joules += joules;
        _seconds += seconds;
        while (_seconds - _segments.Peek().Seconds >= _window.TotalSeconds)
        {
            var old = _segments.Dequeue();
            _joules -= old.Joules;
            _seconds -= old.Seconds;
        }
    }
}
