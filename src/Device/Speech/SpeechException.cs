namespace EdgeLlm.Device.Speech;

/// <summary>A speech engine that cannot run (library or model missing, bad grammar): a one-line message with the fix.</summary>
public sealed class SpeechException(string message, Exception? inner = null) : Exception(message, inner);
