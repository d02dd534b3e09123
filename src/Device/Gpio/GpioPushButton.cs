using System.Device.Gpio;

namespace EdgeLlm.Device.Gpio;

/// <summary>
/// A push button on one GPIO line (docs/gpio.md, "Button"). Active-low buttons get the internal pull-up
/// (<see cref="PinMode.InputPullUp"/>), active-high ones the pull-down. Debounce: every edge restarts a timer of
/// DebounceMs on the <see cref="TimeProvider"/>; when it expires (no edge for DebounceMs) the line's level is read
/// and, if it differs from the debounced state, the change counts, stamped with the first edge of the burst. Contact
/// bounce and pulses shorter than DebounceMs therefore never change the state. A press starts a long-hold timer that
/// fires <see cref="LongHold"/> once when the button is still down LongHoldMs after the press's first edge.
/// </summary>
public sealed class GpioPushButton : IPushButton
{
    private readonly GpioController _controller;
    private readonly int _line;
    private readonly PinValue _pressedLevel;
    private readonly TimeSpan _debounce;
    private readonly TimeSpan _shortPress;
    private readonly TimeSpan _longHold;
    private readonly TimeProvider _time;
    private readonly IDisposable? _owner;
    private readonly PinChangeEventHandler _onEdge;

    // _state guards the fields below; edges only take it briefly. _dispatch orders the commits and the raising of
    // events, so a slow handler delays later events but never the recording of edges.
    private readonly Lock _state = new();
    private readonly Lock _dispatch = new();
    private readonly ITimer _settleTimer;
    private ITimer? _longHoldTimer;
    private DateTimeOffset? _burstStart;
    private DateTimeOffset _lastEdge;
    private bool _pressed;
    private DateTimeOffset _pressedAt;
    private long _pressId;
    private bool _disposed;

    /// <summary>Opens <paramref name="line"/> on <paramref name="controller"/> (which stays the caller's).</summary>
    public GpioPushButton(GpioController controller, int line, GpioOptions options, TimeProvider timeProvider)
        : this(controller, line, options, timeProvider, owner: null)
    {
    }

    internal GpioPushButton(GpioController controller, int line, GpioOptions options, TimeProvider timeProvider,
        IDisposable? owner)
    {
        ArgumentNullException.ThrowIfNull(controller);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var errors = options.Validate().ToList();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", errors), nameof(options));
        }

        _controller = controller;
        _line = line;
        _pressedLevel = options.ActiveLow ? PinValue.Low : PinValue.High;
        _debounce = TimeSpan.FromMilliseconds(options.DebounceMs);
        _shortPress = TimeSpan.FromMilliseconds(options.ShortPressMs);
        _longHold = TimeSpan.FromMilliseconds(options.LongHoldMs);
        _time = timeProvider;
        _owner = owner;
        _onEdge = OnEdge;
        _settleTimer = _time.CreateTimer(_ => Settle(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

        var opened = false;
        try
        {
            _controller.OpenPin(line, options.ActiveLow ? PinMode.InputPullUp : PinMode.InputPullDown);
            opened = true;
            _pressed = _controller.Read(line) == _pressedLevel;
            _controller.RegisterCallbackForPinValueChangedEvent(line, PinEventTypes.Rising | PinEventTypes.Falling, _onEdge);
        }
        catch
        {
            _settleTimer.Dispose();
            if (opened)
            {
                TryClosePin();
            }

            throw;
        }
    }

    public bool IsPressed
    {
        get
        {
            lock (_state)
            {
                return _pressed;
            }
        }
    }

    public event EventHandler<ButtonEventArgs>? Pressed;

    public event EventHandler<ButtonEventArgs>? Released;

    public event EventHandler<ButtonEventArgs>? LongHold;

    private void OnEdge(object sender, PinValueChangedEventArgs e)
    {
        lock (_state)
        {
            if (_disposed)
            {
                return;
            }

            _lastEdge = _time.GetUtcNow();
            _burstStart ??= _lastEdge;
            _settleTimer.Change(_debounce, Timeout.InfiniteTimeSpan);
        }
    }

    private void Settle()
    {
        lock (_dispatch)
        {
            EventHandler<ButtonEventArgs>? handler;
            ButtonEventArgs args;
            lock (_state)
            {
                if (_disposed || _burstStart is not { } start)
                {
                    return;
                }

                // The burst goes on: an edge came after this timer fired but before we got the lock, or a system timer
                // fired a little early (its millisecond ticks are not the clock's). Wait out the rest of the quiet time;
                // returning without a timer armed lost the press for good (seen with TimeProvider.System).
                var quiet = _time.GetUtcNow() - _lastEdge;
                if (quiet < _debounce)
                {
                    _settleTimer.Change(_debounce - quiet, Timeout.InfiniteTimeSpan);
                    return;
                }

                bool pressed;
                try
                {
                    pressed = _controller.Read(_line) == _pressedLevel;
                }
                catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
                {
                    return;
                }

                _burstStart = null;
                if (pressed == _pressed)
                {
                    return;
                }

                _pressed = pressed;
                if (pressed)
                {
                    _pressedAt = start;
                    _pressId++;
                    var id = _pressId;
                    var due = _longHold - (_time.GetUtcNow() - start);
                    _longHoldTimer?.Dispose();
                    _longHoldTimer = _time.CreateTimer(_ => OnLongHold(id), null,
                        due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
                    handler = Pressed;
                    args = new ButtonEventArgs(start, TimeSpan.Zero, false);
                }
                else
                {
                    _longHoldTimer?.Dispose();
                    _longHoldTimer = null;
                    var held = start - _pressedAt;
                    handler = Released;
                    args = new ButtonEventArgs(start, held, held < _shortPress);
                }
            }

            handler?.Invoke(this, args);
        }
    }

    private void OnLongHold(long id)
    {
        lock (_dispatch)
        {
            ButtonEventArgs args;
            lock (_state)
            {
                if (_disposed || !_pressed || id != _pressId)
                {
                    return;
                }

                _longHoldTimer?.Dispose();
                _longHoldTimer = null;
                args = new ButtonEventArgs(_pressedAt, _time.GetUtcNow() - _pressedAt, false);
            }

            LongHold?.Invoke(this, args);
        }
    }

    public void Dispose()
    {
        lock (_state)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _settleTimer.Dispose();
            _longHoldTimer?.Dispose();
            _longHoldTimer = null;
        }

        try
        {
            _controller.UnregisterCallbackForPinValueChangedEvent(_line, _onEdge);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            // The controller is going away anyway; nothing to release twice.
        }

        TryClosePin();
        _owner?.Dispose();
    }

    private void TryClosePin()
    {
        try
        {
            if (_controller.IsPinOpen(_line))
            {
                _controller.ClosePin(_line);
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            // Closing is best effort: the kernel releases the line when the process exits.
        }
    }
}
