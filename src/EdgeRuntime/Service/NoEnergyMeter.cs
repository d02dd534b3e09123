using EdgeLlm.Kernels.Generation;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>The meter when no power monitor is configured: every energy field of the reply is null.</summary>
public sealed class NoEnergyMeter : IEnergyMeter, IEnergyMeasurement
{
    public static NoEnergyMeter Instance { get; } = new();

    public IEnergyMeasurement Start(PromptRequest request) => this;

    public EnergyReport Stop(GenerationStats stats) => EnergyReport.None;
}
