namespace EdgeLlm.Device.Gpio;

/// <summary>One debounced button event.</summary>
/// <param name="Timestamp">When the (first, bouncing) edge was seen, on the button's <see cref="TimeProvider"/>.</param>
/// <param name="HeldFor">How long the button has been down (zero for <see cref="IPushButton.Pressed"/>).</param>
/// <param name="IsShortPress">On release: held for less than the short-press time.</param>
public sealed class ButtonEventArgs(DateTimeOffset timestamp, TimeSpan heldFor, bool isShortPress) : EventArgs
{
    public DateTimeOffset Timestamp { get; } = timestamp;

    public TimeSpan HeldFor { get; } = heldFor;

    public bool IsShortPress { get; } = isShortPress;
}
