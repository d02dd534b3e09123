using EdgeLlm.Kernels.Generation;

namespace EdgeLlm.Kernels.Tests.Generation;

public class StopStringFilterTests
{
    [Test]
    public void StopStringSplitAcrossPiecesIsNeverEmitted()
    {
        var f = new StopStringFilter(["The End"]);
        var outputs = new List<string>();
        bool stopped = false;
        foreach (string piece in new[] { "and they lived. ", "The", " E", "nd", " more" })
        {
            var (emit, s) = f.Push(piece);
            outputs.Add(emit);
            if (s)
            {
                stopped = true;
                break;
            }
        }

        Assert.That(stopped, Is.True);
        Assert.That(string.Concat(outputs), Is.EqualTo("and they lived. "));
    }

    [Test]
    public void HeldTextIsReleasedWhenItTurnsOutNotToBeAStop()
    {
        var f = new StopStringFilter(["\n\n"]);
        Assert.That(f.Push("line\n"), Is.EqualTo(("line", false)));
        Assert.That(f.Push("next"), Is.EqualTo(("\nnext", false)));
        Assert.That(f.Push("\n").Emit, Is.Empty);
        Assert.That(f.Flush(), Is.EqualTo("\n"));
    }

    [Test]
    public void EarliestOfSeveralStopsWins()
    {
        var f = new StopStringFilter(["cat", "dog"]);
        Assert.That(f.Push("a dog and a cat"), Is.EqualTo(("a ", true)));
    }

    [Test]
    public void NoStopsPassesEverythingThrough()
    {
        var f = new StopStringFilter([]);
        Assert.That(f.Push("abc"), Is.EqualTo(("abc", false)));
    }

    [Test]
    public void EmptyStopStringIsRejected() =>
        Assert.That(() => new StopStringFilter([""]), Throws.ArgumentException);
}
