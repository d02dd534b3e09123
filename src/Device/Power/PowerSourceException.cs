namespace EdgeLlm.Device.Power;

/// <summary>A power source that is absent or unreadable: a one-line message naming it and the fix.</summary>
public sealed class PowerSourceException(string message, Exception? inner = null) : Exception(message, inner);
