namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>
/// Measures what one generation cost. The worker calls <see cref="Start"/> when a generation begins and
/// <see cref="IEnergyMeasurement.Stop"/> when it ends; the figures go into the "done" reply. One generation at a time.
/// </summary>
public interface IEnergyMeter
{
    IEnergyMeasurement Start(PromptRequest request);
}
