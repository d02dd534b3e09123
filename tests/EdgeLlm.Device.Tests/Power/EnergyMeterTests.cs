using EdgeLlm.Device.Power;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace EdgeLlm.Device.Tests.Power;

/// <summary>Energy of a window on fake time: counter differences, and trapezoid integration of 10 Hz samples.</summary>
public class EnergyMeterTests
{
    [Test]
    public void ConstantPowerSampledGivesExactJoules()
    {
        var time = new FakeTimeProvider();
        var monitor = new ScriptedMonitor(time, _ => 4.0);
        var meter = new EnergyMeter(monitor, time, 10);
        time.Advance(TimeSpan.FromSeconds(3));
        using var window = meter.Start();
        Assert.That(window.Counter, Is.False);
        for (int i = 0; i < 235; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
        }

        var r = window.Stop();
        Assert.That(window.Samples, Is.EqualTo(23), "10 Hz over 2.35 s");
        Assert.That(r.Seconds, Is.EqualTo(2.35).Within(1e-9));
        Assert.That(r.Joules, Is.EqualTo(4.0 * 2.35).Within(1e-9));
        Assert.That(r.AverageWatts, Is.EqualTo(4.0).Within(1e-9));
        Assert.That(r.Source, Is.EqualTo("scripted"));
        Assert.That(r.IsEstimate, Is.False);
    }

    [Test]
    public void RampPowerSampledGivesExactJoules()
    {
        // P(t) = 2 + 3t W from the window's start: E(T) = 2T + 1.5T², which trapezoids integrate exactly
        var time = new FakeTimeProvider();
        var monitor = new ScriptedMonitor(time, t => 2 + (3 * t));
        using var window = new EnergyMeter(monitor, time, 10).Start();
        time.Advance(TimeSpan.FromMilliseconds(1234));
        time.Advance(TimeSpan.FromMilliseconds(1116));
        var r = window.Stop();
        Assert.That(r.Seconds, Is.EqualTo(2.35).Within(1e-9));
        Assert.That(r.Joules, Is.EqualTo((2 * 2.35) + (1.5 * 2.35 * 2.35)).Within(1e-9));
        Assert.That(r.AverageWatts, Is.EqualTo(2 + (1.5 * 2.35)).Within(1e-9));
    }

    [Test]
    public void SamplingFollowsAStepBetweenSamplesWithinOneInterval()
    {
        // 3 W, then 9 W from t = 1.05 s: trapezoids misplace at most half an interval of the 6 W step (0.3 J)
        var time = new FakeTimeProvider();
        var monitor = new ScriptedMonitor(time, t => t < 1.05 ? 3 : 9);
        using var window = new EnergyMeter(monitor, time, 10).Start();
        for (int i = 0; i < 200; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
        }

        double exact = (3 * 1.05) + (9 * 0.95);
        Assert.That(window.Stop().Joules, Is.EqualTo(exact).Within(0.3));
    }

    [Test]
    public void CounterWindowIsTheCounterDifference()
    {
        // a counter whose integral is known exactly, and watts that would integrate to something else
        var time = new FakeTimeProvider();
        var monitor = new ScriptedMonitor(time, _ => 1000, t => 100 + (7.5 * t));
        var meter = new EnergyMeter(monitor, time, 10);
        time.Advance(TimeSpan.FromSeconds(5));
        using var window = meter.Start();
        Assert.That(window.Counter, Is.True);
        for (int i = 0; i < 4; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
        }

        var r = window.Stop();
        Assert.That(r.Joules, Is.EqualTo(30.0).Within(1e-9));
        Assert.That(r.AverageWatts, Is.EqualTo(7.5).Within(1e-9));
        Assert.That(window.Samples, Is.EqualTo(4), "polled once a second so a wrap inside the window is seen");
    }

    [Test]
    public void CounterWindowOverRaplSeesTheWrapThroughThePolls()
    {
        using var tree = new TempTree();
        tree.Write("intel-rapl:0/name", "package-0");
        tree.Write("intel-rapl:0/energy_uj", "3000000000");
        tree.Write("intel-rapl:0/max_energy_range_uj", "4294967295");
        var time = new FakeTimeProvider();
        using var rapl = RaplMonitor.TryOpen(tree.Root, time, out string reason)!;
        Assert.That(rapl, Is.Not.Null, reason);
        using var window = new EnergyMeter(rapl, time, 10).Start();

        // 20 W for 3 s from 3 000 J; the 32-bit microjoule counter wraps at 4 294.967295 J during the second second
        ulong uj = 3_000_000_000;
        for (int s = 0; s < 3; s++)
        {
            uj = (uj + 600_000_000) % 4_294_967_295;
            tree.Write("intel-rapl:0/energy_uj", uj.ToString(System.Globalization.CultureInfo.InvariantCulture));
            time.Advance(TimeSpan.FromSeconds(1));
        }

        var r = window.Stop();
        Assert.That(r.Joules, Is.EqualTo(1800.0).Within(1e-6));
        Assert.That(r.Source, Is.EqualTo("rapl"));
    }

    [Test]
    public void EstimateIsLabelledInTheResult()
    {
        using var tree = new TempTree();
        string stat = tree.Write("stat", "cpu  0 0 0 100 0 0 0 0\ncpu0 0 0 0 100 0 0 0 0");
        var time = new FakeTimeProvider();
        using var m = new EstimatedMonitor(stat, 2.0, 1.0, time);
        using var window = new EnergyMeter(m, time).Start();
        time.Advance(TimeSpan.FromSeconds(2));
        tree.Write("stat", "cpu  100 0 0 200 0 0 0 0\ncpu0 100 0 0 200 0 0 0 0");
        var r = window.Stop();
        Assert.That(r.IsEstimate, Is.True);
        Assert.That(r.Source, Is.EqualTo("estimated"));
        Assert.That(r.Joules, Is.EqualTo((2.0 + (1.0 * 0.5)) * 2).Within(1e-9), "half of one core busy for 2 s");
        Assert.That(r.AboveIdleJoules(2.0), Is.EqualTo(1.0).Within(1e-9));
        Assert.That(r.JoulesPerToken(10), Is.EqualTo(0.5).Within(1e-9));
        Assert.That(r.JoulesPerToken(0), Is.Null);
    }

    [Test]
    public void SampledWindowOverASimulatedIna219()
    {
        // 1 A at 5 V through the chip's own arithmetic, 10 Hz for 3 s: the figure a reply would carry
        var time = new FakeTimeProvider();
        var chip = new SimulatedIna219 { Physics = (0.1, 5.0) };
        using var ina = new Ina219Monitor(chip, 0.1, 3.2, time);
        double watts = ina.Read().Watts;
        using var window = new EnergyMeter(ina, time, 10).Start();
        for (int i = 0; i < 30; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
        }

        var r = window.Stop();
        Assert.That(window.Counter, Is.False);
        Assert.That(window.Samples, Is.EqualTo(30));
        Assert.That(r.Joules, Is.EqualTo(watts * 3).Within(1e-9));
        Assert.That(r.Joules, Is.EqualTo(15.0).Within(0.015), "5 W for 3 s within the chip's resolution");
        Assert.That(r.Source, Is.EqualTo("ina219"));
        Assert.That(r.JoulesPerToken(30), Is.EqualTo(r.Joules / 30));
    }
}
