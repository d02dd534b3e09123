using EdgeLlm.Device.Power;
using EdgeLlm.EdgeRuntime.Power;
using EdgeLlm.EdgeRuntime.Service;
using EdgeLlm.EdgeRuntime.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeLlm.EdgeRuntime.Tests.Power;

/// <summary>
/// Energy:Mode: efficient chooses the thread count by measuring joules per token on the power source (here an INA219
/// simulated at its register map, drawing P = idle + k · threads while generating); it refuses the estimate.
/// </summary>
public class ThreadEnergyCalibratorTests
{
    private const int Cores = 4;

    /// <summary>
    /// Memory-bound decode (more threads barely help) on a board whose cores cost much: 1 thread is cheapest.
    /// Compute-bound decode (speed ∝ threads) on a board with a high idle draw: all 4 are cheapest.
    /// </summary>
    /// <remarks>A run's tokens are a multiple of every count's tokens per step, so no run ends on a part step.</remarks>
    [TestCase(new[] { 4, 5, 5, 5 }, 20, 1.0, 4.0, 1)]
    [TestCase(new[] { 4, 8, 12, 16 }, 48, 12.0, 1.0, 4)]
    public async Task EfficientModeChoosesTheCountWithTheFewestMeasuredJoulesPerToken(int[] tokensPerStep, int tokensPerRun, double idleWatts, double wattsPerThread, int expected)
    {
        int busyThreads = 0;
        using var ina = new SimulatedIna219(() => idleWatts + (wattsPerThread * Volatile.Read(ref busyThreads)));
        using var monitor = new Ina219Monitor(new I2cHandle(ina), 0.1, 3.2);
        var loaded = new List<ThreadTestEngine>();
        var calibrator = new ThreadEnergyCalibrator(monitor, threads =>
        {
            var e = new ThreadTestEngine(threads, tokensPerStep[threads - 1], b => Volatile.Write(ref busyThreads, b));
            loaded.Add(e);
            return e;
        }, NullLogger.Instance)
        {
            TokensPerRun = tokensPerRun,
            MinWindow = TimeSpan.FromMilliseconds(700),
        };

        var selection = await calibrator.SelectAsync(new EnergyOptions { Mode = "efficient" }, configuredThreads: 2, Cores, CancellationToken.None);

        Assert.That(selection.Note, Is.Null);
        Assert.That(loaded.Select(e => e.Threads), Is.EqualTo(new[] { 1, 2, 3, 4 }), "one load per count: the pool is sized at load");
        Assert.That(loaded.All(e => e.Disposed), Is.True);
        Assert.That(selection.Table.Select(r => r.Threads), Is.EqualTo(new[] { 1, 2, 3, 4 }));
        foreach (var row in selection.Table)
        {
            // what the model says each count costs: P(t) / rate(t)
            double watts = idleWatts + (wattsPerThread * row.Threads);
            double rate = tokensPerStep[row.Threads - 1] / ThreadTestEngine.Step.TotalSeconds;
            // below the model by up to a sample interval at each end: the window's first and last readings are taken
            // just outside the generation, at the idle draw, and the trapezoids smear that step (up to 12 % seen)
            Assert.That(row.AverageWatts, Is.EqualTo(watts).Within(20).Percent, $"{row.Threads} threads: the INA219 saw the draw");
            Assert.That(row.AverageWatts, Is.LessThanOrEqualTo(watts * 1.01), $"{row.Threads} threads: never above the draw");
            Assert.That(row.JoulesPerToken, Is.EqualTo(watts / rate).Within(30).Percent, $"{row.Threads} threads");
            Assert.That(row.Tokens, Is.GreaterThanOrEqualTo(tokensPerStep[row.Threads - 1] * 6));
            Assert.That(row.Seconds, Is.GreaterThanOrEqualTo(0.7));
        }

        Assert.That(selection.Threads, Is.EqualTo(selection.Table.MinBy(r => r.JoulesPerToken)!.Threads), "the measured minimum");
        Assert.That(selection.Threads, Is.EqualTo(expected));
        Assert.That(ina.PowerReads, Is.GreaterThan(4 * 6), "sampled at 10 Hz through each window");
    }

    [Test]
    public async Task TheEstimateIsRefusedAndTheConfiguredThreadsKept()
    {
        using var estimate = new EstimatedMonitor("/proc/stat", 2.5, 1.5);
        int loads = 0;
        var calibrator = new ThreadEnergyCalibrator(estimate, _ =>
        {
            loads++;
            return new ScriptedEngine();
        }, NullLogger.Instance);

        var selection = await calibrator.SelectAsync(new EnergyOptions { Mode = "efficient" }, configuredThreads: 3, Cores, CancellationToken.None);

        Assert.That(selection.Threads, Is.EqualTo(3));
        Assert.That(selection.Table, Is.Empty);
        Assert.That(loads, Is.Zero, "nothing is measured");
        Assert.That(selection.Note, Does.Contain("'estimated'").And.Contain("not a measurement").And.Contain("Threads = 3"));
    }

    [Test]
    public async Task WithoutAPowerSourceEfficientModeSaysWhy()
    {
        var calibrator = new ThreadEnergyCalibrator(null, _ => throw new AssertionException("nothing to load"), NullLogger.Instance);
        var selection = await calibrator.SelectAsync(new EnergyOptions { Mode = "efficient" }, configuredThreads: 0, Cores, CancellationToken.None);
        Assert.That(selection.Threads, Is.EqualTo(Cores), "Threads 0 = one per core");
        Assert.That(selection.Note, Does.StartWith("no power source"));
    }

    [TestCase("performance", 1, Cores)]
    [TestCase("off", 3, 3)]
    [TestCase("off", 0, Cores)]
    public async Task PerformanceUsesEveryCoreAndOffTheConfiguredThreads(string mode, int configured, int expected)
    {
        var calibrator = new ThreadEnergyCalibrator(null, _ => throw new AssertionException("nothing to load"), NullLogger.Instance);
        var selection = await calibrator.SelectAsync(new EnergyOptions { Mode = mode }, configured, Cores, CancellationToken.None);
        Assert.That((selection.Mode, selection.Threads, selection.Table.Count, selection.Note), Is.EqualTo((mode, expected, 0, (string?)null)));
    }

    [Test]
    public async Task TheRealModelIsLoadedPerCountAndMeasured()
    {
        // the bundled model, loaded with 1 and 2 threads; the board draws more the more threads are loaded
        int loadedThreads = 0;
        using var ina = new SimulatedIna219(() => 3.0 + (1.2 * Volatile.Read(ref loadedThreads)));
        using var monitor = new Ina219Monitor(new I2cHandle(ina), 0.1, 3.2);
        var calibrator = new ThreadEnergyCalibrator(monitor, threads =>
        {
            Volatile.Write(ref loadedThreads, threads);
            return LanguageModelEngine.Load(TestEnvironment.ModelPath, threads, 0);
        }, NullLogger.Instance)
        {
            MinWindow = TimeSpan.FromMilliseconds(500),
        };

        var selection = await calibrator.SelectAsync(new EnergyOptions { Mode = "efficient" }, 1, 2, CancellationToken.None);
        Assert.That(selection.Note, Is.Null);
        Assert.That(selection.Table.Select(r => r.Threads), Is.EqualTo(new[] { 1, 2 }));
        Assert.That(selection.Table.All(r => r.Tokens > 0 && r.JoulesPerToken > 0 && r.TokensPerSecond > 0), Is.True);
        Assert.That(selection.Table[0].AverageWatts, Is.EqualTo(4.2).Within(1).Percent);
        Assert.That(selection.Table[1].AverageWatts, Is.EqualTo(5.4).Within(1).Percent);
        foreach (var row in selection.Table)
        {
            Assert.That(row.JoulesPerToken, Is.EqualTo(row.AverageWatts / row.TokensPerSecond).Within(1e-6).Percent, "J/token = W / (tok/s)");
        }

        // the cheapest, or fewer threads within 1 % of it
        var chosen = selection.Table.Single(r => r.Threads == selection.Threads);
        Assert.That(chosen.JoulesPerToken, Is.LessThanOrEqualTo(selection.Table.Min(r => r.JoulesPerToken) * 1.01));
        foreach (var row in selection.Table)
        {
            TestContext.Out.WriteLine($"bundled model, {row.Threads} thread(s): {row.TokensPerSecond:F0} tok/s, {row.JoulesPerToken:F5} J/token at {row.AverageWatts:F2} W (simulated draw)");
        }
    }
}
