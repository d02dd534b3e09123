using System.Globalization;
using EdgeLlm.Device.Power;
using EdgeLlm.EdgeRuntime.Service;
using EdgeLlm.Kernels.Generation;
using Microsoft.Extensions.Logging;

namespace EdgeLlm.EdgeRuntime.Power;

/// <summary>
/// Chooses the thread count by Energy:Mode (docs/power.md, "Energy-aware mode"). <c>efficient</c> measures joules per
/// token for 1…cores threads on the real power source: for each count a model loaded with that many threads (the
/// engine's worker pool is sized at load and cannot change afterwards) runs one warm-up generation, then the same
/// greedy generation repeatedly inside one energy window of at least <see cref="MinWindow"/>. The cheapest count
/// wins; a tie (within 1 %) goes to fewer threads. From the <c>estimated</c> source it refuses: that would choose
/// by the estimate's own formula, not by a measurement.
/// </summary>
public sealed class ThreadEnergyCalibrator(IPowerMonitor? monitor, Func<int, IInferenceEngine> load, ILogger log)
{
    /// <summary>The same prompt for every count.</summary>
    public const string Prompt = "Once upon a time";

    /// <summary>Tokens per generation.</summary>
    public int TokensPerRun { get; init; } = 64;

    /// <summary>Each count's window lasts at least this long: at 10 Hz, 2 s gives 20 samples.</summary>
    public TimeSpan MinWindow { get; init; } = TimeSpan.FromSeconds(2);

    public double SampleHz { get; init; } = 10;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <param name="energy">The mode.</param>
    /// <param name="configuredThreads">Threads from the configuration; 0 = one per core.</param>
    /// <param name="cores">The counts tried in efficient mode are 1 to this.</param>
    public async Task<EnergySelection> SelectAsync(EnergyOptions energy, int configuredThreads, int cores, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cores, 1);
        int configured = configuredThreads > 0 ? configuredThreads : cores;
        var table = new List<ThreadEnergy>();
        switch (energy.Mode)
        {
            case EnergyOptions.Performance:
                return new EnergySelection(energy.Mode, cores, [], null);
            case EnergyOptions.Efficient:
                break;
            default:
                return new EnergySelection(energy.Mode, configured, [], null);
        }

        if (monitor is null)
        {
            return Refuse($"no power source: efficient mode cannot measure; running with Threads = {configured}", configured);
        }

        if (monitor.IsEstimate)
        {
            return Refuse($"the only power source is '{monitor.Source}', a model of CPU time, not a measurement: efficient mode does not choose from it; running with Threads = {configured} (wire an INA219, docs/power.md)", configured);
        }

        try
        {
            var meter = new EnergyMeter(monitor, Time, SampleHz);
            for (int threads = 1; threads <= cores; threads++)
            {
                using var engine = load(threads);
                await GenerateAsync(engine, cancellationToken).ConfigureAwait(false); // warm-up: JIT, page cache, caches
                using var window = meter.Start();
                long start = Time.GetTimestamp();
                int tokens = 0;
                do
                {
                    tokens += await GenerateAsync(engine, cancellationToken).ConfigureAwait(false);
                }
                while (Time.GetElapsedTime(start) < MinWindow);
                var r = window.Stop();
                if (tokens == 0)
                {
                    return Refuse($"the calibration generation produced no tokens with {threads} thread(s); running with Threads = {configured}", configured);
                }

                var row = new ThreadEnergy(threads, r.Joules / tokens, r.AverageWatts, tokens / Math.Max(r.Seconds, 1e-9), tokens, r.Seconds);
                table.Add(row);
                log.LogInformation("energy: {Threads} thread(s): {Jpt} J/token, {Watts} W, {Tps} tok/s ({Tokens} tokens in {Seconds} s, {Source})",
                    threads, F(row.JoulesPerToken, 5), F(row.AverageWatts, 3), F(row.TokensPerSecond, 1), tokens, F(r.Seconds, 2), r.Source);
            }
        }
        catch (PowerSourceException e)
        {
            return Refuse($"measuring failed: {e.Message}; running with Threads = {configured}", configured);
        }

        var best = table[0];
        foreach (var row in table.Skip(1))
        {
            if (row.JoulesPerToken < best.JoulesPerToken * 0.99)
            {
                best = row;
            }
        }

        log.LogInformation("energy: efficient mode runs with {Threads} thread(s): {Jpt} J/token, the fewest of {Count} counts measured on {Source}",
            best.Threads, F(best.JoulesPerToken, 5), table.Count, monitor.Source);
        return new EnergySelection(energy.Mode, best.Threads, table, null);

        EnergySelection Refuse(string why, int threads)
        {
            log.LogWarning("energy: {Why}", why);
            return new EnergySelection(energy.Mode, threads, table, why);
        }
    }

    private async Task<int> GenerateAsync(IInferenceEngine engine, CancellationToken cancellationToken)
    {
        var options = new GenerationOptions { MaxTokens = TokensPerRun, Sampling = new SamplingOptions { Temperature = 0f, Seed = 1 } };
        int tokens = 0;
        await foreach (var ev in engine.GenerateAsync(Prompt, options, cancellationToken).ConfigureAwait(false))
        {
            if (ev.Done is { } done)
            {
                tokens = done.CompletionTokens;
            }
        }

        return tokens;
    }

    private static string F(double x, int digits) => x.ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
