using EdgeLlm.EdgeRuntime.Bench;
using NUnit.Framework;

namespace EdgeLlm.Bench.Tests;

public class DecodeWorkingSetTests
{
    [Test]
    public void KvPartIsTheAveragePositionsAttendedOverTheDecode()
    {
        // Prompt 64, 128 generated: the steps at positions 64..191 attend to 65..192 positions, 128.5 on average.
        var ws = DecodeWorkingSet.For(weightBytesPerToken: 1_000_000, kvBytesPerPosition: 100, promptTokens: 64, genTokens: 128);
        double average = Enumerable.Range(64, 128).Average(p => p + 1.0);
        Assert.Multiple(() =>
        {
            Assert.That(average, Is.EqualTo(128.5));
            Assert.That(ws.KvBytes, Is.EqualTo(100 * average));
            Assert.That(ws.WeightBytes, Is.EqualTo(1_000_000));
            Assert.That(ws.Bytes, Is.EqualTo(1_000_000 + 12_850));
        });
    }

    [Test]
    public void OneGeneratedTokenReadsThePromptAndItself()
    {
        var ws = DecodeWorkingSet.For(500, 10.25, promptTokens: 7, genTokens: 1);
        Assert.Multiple(() =>
        {
            Assert.That(ws.KvBytes, Is.EqualTo(10.25 * 8));
            Assert.That(ws.Bytes, Is.EqualTo(500 + 82));
        });
    }

    [Test]
    public void FractionalKvBytesRoundUp() =>
        Assert.That(DecodeWorkingSet.For(0, 0.3, 1, 1).Bytes, Is.EqualTo(1), "0.6 bytes of cache still occupy a byte");

    [Test]
    public void RejectsImpossibleWorkloads()
    {
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => DecodeWorkingSet.For(-1, 0, 1, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => DecodeWorkingSet.For(0, -1, 1, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => DecodeWorkingSet.For(0, 0, 0, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => DecodeWorkingSet.For(0, 0, 1, 0));
        });
    }
}
