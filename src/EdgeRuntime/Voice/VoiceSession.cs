namespace EdgeLlm.EdgeRuntime.Voice;

/// <summary>One press of the button, from listening until its transcript is handed on (or dropped).</summary>
internal sealed class VoiceSession(long number, string id, CancellationToken stopping)
{
    public long Number { get; } = number;

    /// <summary>The request id of its prompt: voice-{n}.</summary>
    public string Id { get; } = id;

    /// <summary>Cancelled by a long hold (the recording is dropped) or by the service stopping.</summary>
    public CancellationTokenSource Cancellation { get; } = CancellationTokenSource.CreateLinkedTokenSource(stopping);

    /// <summary>Hold to talk: completed when the button is let go.</summary>
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completed when the press turned out short: listen hands-free instead.</summary>
    public TaskCompletionSource ShortPress { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True while audio is being recorded (the LED shows listening), false once transcribing.</summary>
    public bool Recording { get; set; } = true;

    /// <summary>A long hold cancelled this press: its release is not a gesture of its own.</summary>
    public bool LongHeld { get; set; }
}
