namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>The voice flow's states as the status message and Home Assistant show them (the LED's states).</summary>
public static class VoiceStates
{
    public const string Idle = "idle";

    public const string Listening = "listening";

    public const string Thinking = "thinking";

    public const string Error = "error";
}
