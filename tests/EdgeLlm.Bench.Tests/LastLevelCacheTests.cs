using EdgeLlm.EdgeRuntime.Bench;
using EdgeLlm.Kernels;
using NUnit.Framework;

namespace EdgeLlm.Bench.Tests;

/// <summary>The level-3 size from a fake sysfs cache tree (cpu0/cache/index*) in a temp folder.</summary>
public class LastLevelCacheTests
{
    private string _root = "";

    [SetUp]
    public void SetUp()
    {
        _root = Path.Combine(Path.GetTempPath(), $"edgellm-sysfs-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_root);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_root, recursive: true);

    [Test]
    public void PicksTheLevel3UnifiedCacheNotTheLargestOrTheFirst()
    {
        Index(0, "1", "Data", "32K");
        Index(1, "1", "Instruction", "32K");
        Index(2, "2", "Unified", "1024K");
        Index(3, "3", "Unified", "32768K");
        var llc = LastLevelCache.Read(_root);
        Assert.Multiple(() =>
        {
            Assert.That(llc.Bytes, Is.EqualTo(32L << 20));
            Assert.That(llc.Source, Is.EqualTo(Path.Combine(_root, "index3", "size")));
            Assert.That(MemoryBandwidth.DramBufferBytes(llc), Is.EqualTo(256L << 20), "4x 32 MB is below the 256 MB floor");
        });
    }

    [Test]
    public void A260MegabyteL3GivesADramBufferFourTimesAsLarge()
    {
        Index(0, "1", "Data", "48K");
        Index(1, "2", "Unified", "2048K");
        Index(2, "3", "Unified", "260M");
        var llc = LastLevelCache.Read(_root);
        Assert.Multiple(() =>
        {
            Assert.That(llc.Bytes, Is.EqualTo(260L << 20));
            Assert.That(MemoryBandwidth.DramBufferBytes(llc), Is.EqualTo(4 * (260L << 20)));
        });
    }

    [Test]
    public void NoLevel3SaysSoAndTheDramBufferFallsBackToTheMinimum()
    {
        Index(0, "1", "Data", "32K");
        Index(1, "2", "Unified", "512K"); // a Raspberry Pi 4: L2 is the last level
        var llc = LastLevelCache.Read(_root);
        Assert.Multiple(() =>
        {
            Assert.That(llc.Bytes, Is.Null);
            Assert.That(llc.Source, Does.Contain("no level-3 cache").And.Contain(_root));
            Assert.That(MemoryBandwidth.DramBufferBytes(llc), Is.EqualTo(MemoryBandwidth.MinDramBufferBytes));
        });
    }

    [Test]
    public void MissingTreeOrMalformedSizeIsReportedNotGuessed()
    {
        var missing = LastLevelCache.Read(Path.Combine(_root, "nope"));
        Index(3, "3", "Unified", "lots");
        var malformed = LastLevelCache.Read(_root);
        Assert.Multiple(() =>
        {
            Assert.That(missing.Bytes, Is.Null);
            Assert.That(missing.Source, Does.Contain("does not exist"));
            Assert.That(malformed.Bytes, Is.Null);
            Assert.That(malformed.Source, Does.Contain("'lots'"));
        });
    }

    [TestCase("32768K", 32L << 20)]
    [TestCase("32M", 32L << 20)]
    [TestCase("1G", 1L << 30)]
    [TestCase("4096", 4096L)]
    [TestCase(" 512K\n", 512L << 10)]
    public void ParsesSysfsSizes(string text, long bytes) => Assert.That(LastLevelCache.ParseSize(text), Is.EqualTo(bytes));

    [TestCase("")]
    [TestCase("K")]
    [TestCase("-1K")]
    [TestCase("0")]
    [TestCase("12.5M")]
    [TestCase("99999999999999999999G")]
    public void RejectsMalformedSizes(string text) => Assert.That(LastLevelCache.ParseSize(text), Is.Null);

    private void Index(int i, string level, string type, string size)
    {
        string dir = Path.Combine(_root, $"index{i}");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "level"), level + "\n");
        File.WriteAllText(Path.Combine(dir, "type"), type + "\n");
        File.WriteAllText(Path.Combine(dir, "size"), size + "\n");
    }
}
