using EdgeLlm.Device.Power;
using EdgeLlm.EdgeRuntime.Service;
using EdgeLlm.Kernels.Generation;

namespace EdgeLlm.EdgeRuntime.Power;

/// <summary>One generation's energy window; <see cref="Stop"/> fills the done reply's energy fields.</summary>
internal sealed class PowerEnergyMeasurement(EnergyMeasurement window, IdlePowerTracker idle, DeviceStatus status) : IEnergyMeasurement
{
    public EnergyReport Stop(GenerationStats stats)
    {
        EnergyResult r;
        try
        {
            r = window.Stop();
        }
        finally
        {
            window.Dispose();
            idle.SetIdle(true);
        }

        double? idleWatts = idle.IdleWatts;
        double? perToken = r.JoulesPerToken(stats.CompletionTokens);
        if (perToken is not null)
        {
            status.LastJoulesPerToken = perToken;
        }

        return new EnergyReport(r.Joules, perToken, r.AverageWatts, idleWatts, idleWatts is { } w ? r.AboveIdleJoules(w) : null, r.Source);
    }

    public void Abandon()
    {
        window.Dispose();
    }
}
