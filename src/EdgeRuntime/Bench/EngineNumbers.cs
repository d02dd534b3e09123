namespace EdgeLlm.EdgeRuntime.Bench;

/// <summary>Medians of one engine's repetitions at one thread count.</summary>
public sealed record EngineNumbers(double PrefillTokS, double DecodeTokS, double TtftMs, int Repetitions);
