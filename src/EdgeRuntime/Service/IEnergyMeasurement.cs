using EdgeLlm.Kernels.Generation;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>One running measurement of <see cref="IEnergyMeter"/>.</summary>
public interface IEnergyMeasurement
{
    /// <summary>Ends the measurement; <paramref name="stats"/> are the generation's (tokens, elapsed time).</summary>
    EnergyReport Stop(GenerationStats stats);
}
