using System.Device.Gpio;

namespace EdgeLlm.Device.Tests.Gpio;

/// <summary>
/// A GPIO chip in memory, at System.Device.Gpio's own driver seam. Inputs read their pull resistor's level until the
/// test drives them (<see cref="Drive"/>), and every level change fires the registered edge callbacks synchronously,
/// the way the libgpiod drivers call them from their event thread. Writes are logged with the fake time.
/// </summary>
internal sealed class FakeGpioDriver(TimeProvider time, int pinCount = 54) : GpioDriver
{
    private readonly Lock _lock = new();
    private readonly Dictionary<int, PinMode> _modes = [];
    private readonly Dictionary<int, PinValue> _levels = [];
    private readonly Dictionary<int, List<(PinEventTypes Types, PinChangeEventHandler Callback)>> _callbacks = [];
    private readonly HashSet<int> _open = [];
    private readonly HashSet<int> _driven = [];

    public List<(DateTimeOffset At, int Pin, PinValue Value)> Writes { get; } = [];

    /// <summary>Thrown by SetPinMode (where libgpiod v1 requests the line, so EBUSY appears there).</summary>
    public Exception? SetPinModeThrows { get; set; }

    /// <summary>Which pin <see cref="SetPinModeThrows"/> applies to (-1 = all).</summary>
    public int ThrowOnPin { get; set; } = -1;

    public bool Disposed { get; private set; }

    public bool IsOpen(int pin)
    {
        lock (_lock)
        {
            return _open.Contains(pin);
        }
    }

    public PinMode ModeOf(int pin)
    {
        lock (_lock)
        {
            return _modes[pin];
        }
    }

    public int CallbackCount(int pin)
    {
        lock (_lock)
        {
            return _callbacks.TryGetValue(pin, out var list) ? list.Count : 0;
        }
    }

    public PinValue LevelOf(int pin)
    {
        lock (_lock)
        {
            return _levels.GetValueOrDefault(pin, PinValue.Low);
        }
    }

    /// <summary>An outside signal (the button's contact) sets the line's level; a change fires the edge callbacks.</summary>
    public void Drive(int pin, PinValue level)
    {
        List<PinChangeEventHandler> toCall = [];
        PinEventTypes edge;
        lock (_lock)
        {
            _driven.Add(pin);
            var old = _levels.GetValueOrDefault(pin, PinValue.Low);
            _levels[pin] = level;
            if (old == level)
            {
                return;
            }

            edge = level == PinValue.High ? PinEventTypes.Rising : PinEventTypes.Falling;
            if (_callbacks.TryGetValue(pin, out var list))
            {
                toCall.AddRange(list.Where(c => (c.Types & edge) != 0).Select(c => c.Callback));
            }
        }

        foreach (var callback in toCall)
        {
            callback(this, new PinValueChangedEventArgs(edge, pin));
        }
    }

    protected override int PinCount => pinCount;

    protected override void OpenPin(int pinNumber)
    {
        lock (_lock)
        {
            _open.Add(pinNumber);
        }
    }

    protected override void ClosePin(int pinNumber)
    {
        lock (_lock)
        {
            _open.Remove(pinNumber);
        }
    }

    protected override void SetPinMode(int pinNumber, PinMode mode) => SetPinMode(pinNumber, mode, PinValue.Low);

    protected override void SetPinMode(int pinNumber, PinMode mode, PinValue initialValue)
    {
        if (SetPinModeThrows is { } e && (ThrowOnPin < 0 || ThrowOnPin == pinNumber))
        {
            throw e;
        }

        lock (_lock)
        {
            _modes[pinNumber] = mode;
            if (!_driven.Contains(pinNumber))
            {
                _levels[pinNumber] = mode switch
                {
                    PinMode.InputPullUp => PinValue.High,
                    PinMode.Output => initialValue,
                    _ => PinValue.Low,
                };
            }
        }
    }

    protected override PinMode GetPinMode(int pinNumber)
    {
        lock (_lock)
        {
            return _modes[pinNumber];
        }
    }

    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) =>
        mode is PinMode.Input or PinMode.InputPullUp or PinMode.InputPullDown or PinMode.Output;

    protected override PinValue Read(int pinNumber)
    {
        lock (_lock)
        {
            return _levels.GetValueOrDefault(pinNumber, PinValue.Low);
        }
    }

    protected override void Write(int pinNumber, PinValue value)
    {
        lock (_lock)
        {
            _levels[pinNumber] = value;
            Writes.Add((time.GetUtcNow(), pinNumber, value));
        }
    }

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes,
        CancellationToken cancellationToken) => throw new NotSupportedException("the button uses callbacks");

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes,
        PinChangeEventHandler callback)
    {
        lock (_lock)
        {
            if (!_callbacks.TryGetValue(pinNumber, out var list))
            {
                _callbacks[pinNumber] = list = [];
            }

            list.Add((eventTypes, callback));
        }
    }

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback)
    {
        lock (_lock)
        {
            if (_callbacks.TryGetValue(pinNumber, out var list))
            {
                list.RemoveAll(c => c.Callback == callback);
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        Disposed = true;
        base.Dispose(disposing);
    }
}
