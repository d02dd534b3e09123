namespace EdgeLlm.Device.Gpio;

/// <summary>What the status LED shows.</summary>
public enum LedState
{
    Idle,
    Listening,
    Thinking,
    Error,
}
