using EdgeLlm.Kernels.Generation;
using EdgeLlm.Kernels.Sampling;

namespace EdgeLlm.Kernels.Tests.Sampling;

public class SamplerTests
{
    private static readonly float[] ThreeWay = [MathF.Log(0.5f), MathF.Log(0.3f), MathF.Log(0.2f)];

    [Test]
    public void GreedyTakesTheLargestLogitAndTheLowestIdOnATie()
    {
        var s = new Sampler(5, SamplingOptions.Greedy);
        Assert.That(s.Sample([0.1f, 3f, -1f, 3f, 2.9f], []), Is.EqualTo(1));
    }

    [Test]
    public void SameSeedSameDrawsDifferentSeedDifferentDraws()
    {
        int[] Draw(ulong seed)
        {
            var s = new Sampler(3, new SamplingOptions { Temperature = 1f, TopK = 0, TopP = 1f, Seed = seed });
            return Enumerable.Range(0, 64).Select(_ => s.Sample(ThreeWay, [])).ToArray();
        }

        int[] first = Draw(42), again = Draw(42), other = Draw(43);
        Assert.That(again, Is.EqualTo(first));
        Assert.That(other, Is.Not.EqualTo(first));
    }

    [Test]
    public void TemperatureOneFollowsTheSoftmax()
    {
        var s = new Sampler(3, new SamplingOptions { Temperature = 1f, TopK = 0, TopP = 1f, Seed = 7 });
        var counts = new int[3];
        const int n = 30000;
        for (int i = 0; i < n; i++)
        {
            counts[s.Sample(ThreeWay, [])]++;
        }

        Assert.That(counts[0] / (double)n, Is.EqualTo(0.5).Within(0.015));
        Assert.That(counts[1] / (double)n, Is.EqualTo(0.3).Within(0.015));
        Assert.That(counts[2] / (double)n, Is.EqualTo(0.2).Within(0.015));
    }

    [Test]
    public void TopPKeepsTheSmallestNucleus()
    {
        // 0.5 + 0.3 reaches 0.6: token 2 (0.2) is outside the nucleus.
        var s = new Sampler(3, new SamplingOptions { Temperature = 1f, TopK = 0, TopP = 0.6f, Seed = 1 });
        var seen = Enumerable.Range(0, 2000).Select(_ => s.Sample(ThreeWay, [])).ToHashSet();
        Assert.That(seen, Is.EquivalentTo(new[] { 0, 1 }));
    }

    [Test]
    public void TopKKeepsTheKLargest()
    {
        float[] logits = Enumerable.Range(0, 100).Select(i => (float)Math.Sin(i * 1.7)).ToArray();
        var expected = Enumerable.Range(0, 100).OrderByDescending(i => logits[i]).Take(3).ToHashSet();
        var s = new Sampler(100, new SamplingOptions { Temperature = 5f, TopK = 3, TopP = 1f, Seed = 3 });
        var seen = Enumerable.Range(0, 3000).Select(_ => s.Sample(logits, [])).ToHashSet();
        Assert.That(seen, Is.EquivalentTo(expected));
    }

    [Test]
    public void RepetitionPenaltyMovesGreedyAwayFromRecentTokens()
    {
        float[] logits = [2.0f, 1.9f, -1f];
        var plain = new Sampler(3, SamplingOptions.Greedy);
        var penalized = new Sampler(3, SamplingOptions.Greedy with { RepetitionPenalty = 1.2f });
        Assert.That(plain.Sample(logits, [0, 0, 0]), Is.EqualTo(0));
        Assert.That(penalized.Sample(logits, [0, 0, 0]), Is.EqualTo(1)); // 2.0/1.2 < 1.9, once per distinct token
        Assert.That(logits, Is.EqualTo(new[] { 2.0f, 1.9f, -1f }), "the caller's logits are not modified");
    }

    [TestCase(-0.1f, 40, 0.9f, 1f)]
    [TestCase(float.NaN, 40, 0.9f, 1f)]
    [TestCase(0.8f, -1, 0.9f, 1f)]
    [TestCase(0.8f, 40, 0f, 1f)]
    [TestCase(0.8f, 40, 1.5f, 1f)]
    [TestCase(0.8f, 40, 0.9f, 0f)]
    public void OutOfRangeOptionsAreRejected(float t, int k, float p, float rep)
    {
        var o = new SamplingOptions { Temperature = t, TopK = k, TopP = p, RepetitionPenalty = rep };
        Assert.That(() => new Sampler(10, o), Throws.ArgumentException);
    }

    [Test]
    public void SamplingDoesNotAllocate()
    {
        float[] logits = Enumerable.Range(0, 32000).Select(i => (float)Math.Cos(i * 0.37)).ToArray();
        int[] recent = Enumerable.Range(0, 64).ToArray();
        var s = new Sampler(logits.Length, new SamplingOptions { Temperature = 0.8f, TopK = 40, TopP = 0.95f, RepetitionPenalty = 1.1f, Seed = 5 });
        s.Sample(logits, recent);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++)
        {
            s.Sample(logits, recent);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }
}
