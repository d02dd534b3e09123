namespace EdgeLlm.Device.Audio;

/// <summary>An audio source that cannot deliver: the message is one line that names the device or file and the fix.</summary>
public sealed class AudioSourceException(string message, Exception? inner = null) : Exception(message, inner);
