using EdgeLlm.Device.Power;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace EdgeLlm.Device.Tests.Power;

/// <summary>The CPU-time estimate on a /proc/stat file in a temp folder.</summary>
public class EstimatedTests
{
    private static string Stat(ulong user, ulong system, ulong idle, ulong iowait, int cores = 4)
    {
        var lines = new List<string> { $"cpu  {user} 0 {system} {idle} {iowait} 0 0 0 0 0" };
        for (int i = 0; i < cores; i++)
        {
            lines.Add($"cpu{i} {user / (ulong)cores} 0 {system / (ulong)cores} {idle / (ulong)cores} {iowait / (ulong)cores} 0 0 0 0 0");
        }

        lines.Add("intr 1 2 3");
        lines.Add("ctxt 12345");
        return string.Join("\n", lines);
    }

    [Test]
    public void WattsAreIdlePlusPerCoreTimesBusyCoresAndLabelledAnEstimate()
    {
        using var tree = new TempTree();
        string stat = tree.Write("stat", Stat(1000, 200, 10000, 100));
        var time = new FakeTimeProvider();
        using var m = new EstimatedMonitor(stat, 2.5, 1.5, time);
        Assert.That(m.Cores, Is.EqualTo(4));
        Assert.That(m.IsEstimate, Is.True);
        Assert.That(m.Source, Is.EqualTo("estimated"));
        Assert.That(m.Description, Does.Contain("estimate").And.Contain("not a measurement"));

        // 1 s on 4 cores = 400 ticks: 150 user + 50 system busy (2 cores), 190 idle + 10 iowait
        time.Advance(TimeSpan.FromSeconds(1));
        tree.Write("stat", Stat(1150, 250, 10190, 110));
        var r = m.Read();
        Assert.That(r.Watts, Is.EqualTo(2.5 + (1.5 * 2)).Within(1e-12));
        Assert.That(r.EnergyJoules, Is.EqualTo(5.5).Within(1e-12));

        // next 2 s all idle
        time.Advance(TimeSpan.FromSeconds(2));
        tree.Write("stat", Stat(1150, 250, 10990, 110));
        r = m.Read();
        Assert.That(r.Watts, Is.EqualTo(2.5).Within(1e-12));
        Assert.That(r.EnergyJoules, Is.EqualTo(5.5 + 5.0).Within(1e-12));
    }

    [Test]
    public void UnreadableStatIsAPowerSourceError()
    {
        var e = Assert.Throws<PowerSourceException>(() => new EstimatedMonitor(Path.Combine(Path.GetTempPath(), $"no-such-{Guid.NewGuid():N}"), 2.5, 1.5));
        Assert.That(e!.Message, Does.StartWith("estimated: cannot read"));
    }

    [Test]
    public void TheRealProcStatGivesAPlausibleEstimate()
    {
        using var m = new EstimatedMonitor("/proc/stat", 2.5, 1.5);
        Assert.That(m.Cores, Is.GreaterThan(0));
        Thread.Sleep(50);
        var r = m.Read();
        Assert.That(r.Watts, Is.InRange(2.5, 2.5 + (1.5 * m.Cores)));
    }
}
