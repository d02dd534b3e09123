namespace EdgeLlm.EdgeRuntime.Power;

/// <summary>One row of the energy-aware mode's table: what generating cost with this many threads.</summary>
/// <param name="Threads">Matmul threads.</param>
/// <param name="JoulesPerToken">Measured energy over the generated tokens.</param>
/// <param name="AverageWatts">Average power while generating.</param>
/// <param name="TokensPerSecond">Generated tokens over the measured wall time.</param>
/// <param name="Tokens">Tokens generated in the measured window.</param>
/// <param name="Seconds">The measured window.</param>
public sealed record ThreadEnergy(int Threads, double JoulesPerToken, double AverageWatts, double TokensPerSecond, int Tokens, double Seconds);
