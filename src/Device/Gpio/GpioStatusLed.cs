using System.Device.Gpio;

namespace EdgeLlm.Device.Gpio;

/// <summary>
/// One LED on a GPIO line, driven high = on (GPIO → resistor → LED → GND; docs/gpio.md, "LED"). Idle: off.
/// Listening: on. Thinking: slow blink, 500 ms on / 500 ms off (1 Hz). Error: fast blink, 100 ms on / 100 ms off
/// (5 Hz). Blinking runs on a timer of the <see cref="TimeProvider"/> and starts with the LED on, so a state change is
/// visible at once.
/// </summary>
public sealed class GpioStatusLed : IStatusLed
{
    /// <summary>Half period of the Thinking blink.</summary>
    public static readonly TimeSpan SlowBlinkHalfPeriod = TimeSpan.FromMilliseconds(500);

    /// <summary>Half period of the Error blink.</summary>
    public static readonly TimeSpan FastBlinkHalfPeriod = TimeSpan.FromMilliseconds(100);

    private readonly GpioController _controller;
    private readonly int _line;
    private readonly TimeProvider _time;
    private readonly IDisposable? _owner;
    private readonly Lock _lock = new();
    private ITimer? _blink;
    private bool _on;
    private long _generation;
    private bool _disposed;

    /// <summary>Opens <paramref name="line"/> on <paramref name="controller"/> (which stays the caller's) as an output, off.</summary>
    public GpioStatusLed(GpioController controller, int line, TimeProvider timeProvider)
        : this(controller, line, timeProvider, owner: null)
    {
    }

    internal GpioStatusLed(GpioController controller, int line, TimeProvider timeProvider, IDisposable? owner)
    {
        ArgumentNullException.ThrowIfNull(controller);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _controller = controller;
        _line = line;
        _time = timeProvider;
        _owner = owner;
        _controller.OpenPin(line, PinMode.Output, PinValue.Low);
    }

    public LedState State { get; private set; } = LedState.Idle;

    /// <summary>Shows <paramref name="state"/>; showing the current state again changes nothing. After Dispose: ignored.</summary>
    public void Show(LedState state)
    {
        lock (_lock)
        {
            if (_disposed || state == State)
            {
                return;
            }

            State = state;
            _blink?.Dispose();
            _blink = null;
            _generation++;
            switch (state)
            {
                case LedState.Idle:
                    Set(false);
                    break;
                case LedState.Listening:
                    Set(true);
                    break;
                default:
                    var half = state == LedState.Thinking ? SlowBlinkHalfPeriod : FastBlinkHalfPeriod;
                    var generation = _generation;
                    Set(true);
                    _blink = _time.CreateTimer(_ => Toggle(generation), null, half, half);
                    break;
            }
        }
    }

    private void Toggle(long generation)
    {
        lock (_lock)
        {
            // A tick already queued when the state changed belongs to the old pattern.
            if (!_disposed && generation == _generation)
            {
                Set(!_on);
            }
        }
    }

    private void Set(bool on)
    {
        _on = on;
        try
        {
            _controller.Write(_line, on ? PinValue.High : PinValue.Low);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            // A status light must never take the service down; the next state change tries again.
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _blink?.Dispose();
            _blink = null;
            Set(false);
            _disposed = true;
        }

        try
        {
            if (_controller.IsPinOpen(_line))
            {
                _controller.ClosePin(_line);
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            // Best effort: the kernel releases the line when the process exits.
        }

        _owner?.Dispose();
    }
}
