namespace EdgeLlm.Kernels.Tests;

public class SharedDataTests
{
    [Test]
    public void ReferenceModelIsPresent()
    {
        var info = new FileInfo(SharedData.PathOf("models", "stories260K", "stories260K.bin"));
        Assert.That(info.Length, Is.GreaterThan(1_000_000));
    }
}
