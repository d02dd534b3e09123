namespace EdgeLlm.Device.Power;

/// <summary>The /proc/stat "cpu" line summed: all ticks, busy ticks (not idle, iowait or steal), and the core count.</summary>
internal readonly record struct CpuTicks(ulong Total, ulong Busy, int Cores);
