using EdgeLlm.Device.Power;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace EdgeLlm.Device.Tests.Power;

/// <summary>Idle power is averaged only while the tracker is told the service is idle.</summary>
public class IdlePowerTrackerTests
{
    /// <summary>FakeTimeProvider fires a periodic timer's missed periods all at the end of one Advance, so time moves
    /// a second at a time, as a real clock would.</summary>
    private static void Step(FakeTimeProvider time, int seconds)
    {
        for (int i = 0; i < seconds; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
        }
    }

    [Test]
    public void AveragesOnlyIdleTimeAndReadsNothingWhileBusy()
    {
        var time = new FakeTimeProvider();
        bool busy = false;
        var monitor = new ScriptedMonitor(time, _ => busy ? 9.0 : 3.0);
        using var idle = new IdlePowerTracker(monitor, time);
        Assert.That(idle.IdleWatts, Is.Null);

        idle.SetIdle(true);
        Step(time, 10);
        Assert.That(idle.IdleWatts, Is.EqualTo(3.0).Within(1e-9));
        Assert.That(idle.IdleSeconds, Is.EqualTo(9.0).Within(1e-9), "samples from the end of the 1 s settle to 10 s");

        busy = true;
        idle.SetIdle(false);
        int reads = monitor.Reads;
        Step(time, 30);
        Assert.That(monitor.Reads, Is.EqualTo(reads), "no reads while busy");
        Assert.That(idle.IdleWatts, Is.EqualTo(3.0).Within(1e-9), "busy power never enters the average");

        busy = false;
        idle.SetIdle(true);
        Step(time, 5);
        Assert.That(idle.IdleWatts, Is.EqualTo(3.0).Within(1e-9));
        Assert.That(idle.IdleSeconds, Is.EqualTo(13.0).Within(1e-9), "4 more: the settle again");
    }

    [Test]
    public void TheAverageCoversTheRecentWindow()
    {
        var time = new FakeTimeProvider();
        double watts = 4.0;
        var monitor = new ScriptedMonitor(time, _ => watts);
        using var idle = new IdlePowerTracker(monitor, time, window: TimeSpan.FromSeconds(60), settle: TimeSpan.Zero);
        idle.SetIdle(true);
        Step(time, 120);
        watts = 2.0;
        Step(time, 200);

        Assert.That(idle.IdleWatts, Is.EqualTo(2.0).Within(1e-9), "the 4 W minutes fell out of the 60 s window");
        Assert.That(idle.IdleSeconds, Is.LessThanOrEqualTo(60.0 + 1e-9));
    }

    [Test]
    public void CounterSourcesUseTheCounter()
    {
        var time = new FakeTimeProvider();
        var monitor = new ScriptedMonitor(time, _ => 100, t => 2.75 * t);
        using var idle = new IdlePowerTracker(monitor, time, settle: TimeSpan.Zero);
        idle.SetIdle(true);
        Step(time, 6);
        Assert.That(idle.IdleWatts, Is.EqualTo(2.75).Within(1e-9));
    }
}
