namespace EdgeLlm.EdgeRuntime.Power;

/// <summary>The thread count the service runs with and how it was chosen (docs/power.md, "Energy-aware mode").</summary>
/// <param name="Mode">off, efficient or performance.</param>
/// <param name="Threads">The thread count in use.</param>
/// <param name="Table">Efficient mode: the measured joules per token for each thread count; else empty.</param>
/// <param name="Note">Why efficient mode did not choose (no power source, only the estimate, a failed measurement); null when it chose, or in the other modes.</param>
public sealed record EnergySelection(string Mode, int Threads, IReadOnlyList<ThreadEnergy> Table, string? Note);
