namespace EdgeLlm.Device.Power;

/// <summary>Watts of a cumulative energy counter: the average since the previous reading (<see cref="PowerReading.Watts"/>).</summary>
internal sealed class CounterRate(TimeProvider time)
{
    private long _lastTimestamp = time.GetTimestamp();
    private double _lastJoules;
    private double _lastWatts;
    private bool _started;

    /// <summary>Starts the first interval at <paramref name="joules"/> (the counter when the monitor opened).</summary>
    public void Start(double joules)
    {
        _lastTimestamp = time.GetTimestamp();
        _lastJoules = joules;
        _started = true;
    }

    public double Next(double joules)
    {
        long now = time.GetTimestamp();
        double seconds = time.GetElapsedTime(_lastTimestamp, now).TotalSeconds;
        if (!_started)
        {
            Start(joules);
            return 0;
        }

        // Within one counter update (RAPL: ~1 ms) the difference is noise: keep the last figure.
        if (seconds > 0.001)
        {
            _lastWatts = (joules - _lastJoules) / seconds;
            _lastJoules = joules;
            _lastTimestamp = now;
        }

        return _lastWatts;
    }
}
