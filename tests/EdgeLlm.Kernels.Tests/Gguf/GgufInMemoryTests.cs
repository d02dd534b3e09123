using EdgeLlm.Kernels.Gguf;

namespace EdgeLlm.Kernels.Tests.Gguf;

/// <summary>
/// The read-into-memory form of <see cref="GgufFile"/> (used where a runtime cannot map files, e.g. Meadow-class
/// boards): the same header, metadata and tensor bytes as the map, and the same validation.
/// </summary>
public sealed class GgufInMemoryTests
{
    private TempFolder _temp = null!;

    [OneTimeSetUp]
    public void CreateFolder() => _temp = new TempFolder();

    [OneTimeTearDown]
    public void DeleteFolder() => _temp.Dispose();

    [Test]
    public void TheBundledModelReadIntoMemoryEqualsTheMap()
    {
        string path = Path.Combine(SharedData.RepoRoot, "models", "stories260K-q8_0.gguf");
        using GgufFile mapped = GgufFile.Open(path);
        using GgufFile memory = GgufFile.OpenInMemory(path);

        Assert.That(mapped.IsMapped, Is.True);
        Assert.That(memory.IsMapped, Is.False);
        Assert.That(memory.DataOffset, Is.EqualTo(mapped.DataOffset));
        Assert.That(memory.Metadata.Keys, Is.EqualTo(mapped.Metadata.Keys));
        Assert.That(memory.Tensors.Select(t => (t.Name, t.Type, t.Offset, t.ByteSize)), Is.EqualTo(mapped.Tensors.Select(t => (t.Name, t.Type, t.Offset, t.ByteSize))));
        Assert.That(memory.Tensors, Has.Count.GreaterThan(10));
        foreach (GgufTensorInfo t in mapped.Tensors)
        {
            Assert.That(memory.GetTensorBytes(memory.GetTensor(t.Name)).SequenceEqual(mapped.GetTensorBytes(t)), Is.True, t.Name);
        }
    }

    [Test]
    public void ATruncatedFileIsRejectedInMemoryToo()
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(SharedData.RepoRoot, "models", "stories260K-q8_0.gguf"));
        string cut = _temp.Write(bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<GgufFormatException>(() => GgufFile.OpenInMemory(cut).Dispose());
        Assert.That(e!.Message, Does.Contain(cut));
        Assert.Throws<GgufFormatException>(() => GgufFile.OpenInMemory(_temp.Write([])).Dispose());
    }

    [Test]
    public void DisposeFreesTheBlockOnceAndLaterReadsFail()
    {
        GgufFile memory = GgufFile.OpenInMemory(Path.Combine(SharedData.RepoRoot, "models", "stories260K-q8_0.gguf"));
        GgufTensorInfo t = memory.Tensors[0];
        memory.Dispose();
        memory.Dispose();
        Assert.Throws<ObjectDisposedException>(() => memory.GetTensorBytes(t));
    }
}
