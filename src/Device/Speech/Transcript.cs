namespace EdgeLlm.Device.Speech;

/// <summary>What was heard.</summary>
/// <param name="Text">The words, trimmed; empty when nothing was recognised.</param>
/// <param name="Likelihood">0..1 confidence (the Rhasspy Hermes meaning).</param>
/// <param name="Seconds">How long transcription took.</param>
public sealed record Transcript(string Text, double Likelihood, double Seconds);
