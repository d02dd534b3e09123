using EdgeLlm.Device.Gpio;

namespace EdgeLlm.EdgeRuntime.Tests.Voice;

/// <summary>The real <see cref="GpioStatusLed"/> on the fake chip, with the states it was asked to show.</summary>
public sealed class RecordingLed(IStatusLed led) : IStatusLed
{
    private readonly Lock _lock = new();
    private readonly List<LedState> _shown = [];

    public LedState State => led.State;

    /// <summary>Every change of state, in order.</summary>
    public IReadOnlyList<LedState> Shown
    {
        get
        {
            lock (_lock)
            {
                return [.. _shown];
            }
        }
    }

    public void Show(LedState state)
    {
        lock (_lock)
        {
            if (_shown.Count == 0 || _shown[^1] != state)
            {
                _shown.Add(state);
            }

            led.Show(state);
        }
    }

    public void Dispose() => led.Dispose();
}
