namespace EdgeLlm.Device.Gpio;

/// <summary>
/// A debounced push button (docs/gpio.md). Events fire on the button's own thread or timer; handlers must not block.
/// The gestures the voice flow uses: <see cref="Pressed"/> starts listening; <see cref="Released"/> with
/// <see cref="ButtonEventArgs.IsShortPress"/> means "hands-free: listen until silence", otherwise "hold to talk
/// ended"; <see cref="LongHold"/> (still pressed after the long-hold time) cancels the running generation.
/// </summary>
public interface IPushButton : IDisposable
{
    /// <summary>The debounced state.</summary>
    bool IsPressed { get; }

    event EventHandler<ButtonEventArgs>? Pressed;

    event EventHandler<ButtonEventArgs>? Released;

    event EventHandler<ButtonEventArgs>? LongHold;
}
