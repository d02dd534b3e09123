using EdgeLlm.Kernels.Gguf;

namespace EdgeLlm.Kernels.Tests.Gguf;

/// <summary>Typed accessors: conversions that are allowed, and wrong-type errors that name the actual type.</summary>
public sealed class GgufValueTests
{
    private TempFolder _temp = null!;
    private GgufFile _file = null!;

    [OneTimeSetUp]
    public void WriteSample()
    {
        _temp = new TempFolder();
        var writer = new GgufWriter();
        writer.AddString("s", "text");
        writer.AddUInt8("u8", 200);
        writer.AddUInt64("big", ulong.MaxValue);
        writer.AddFloat64("f64", 0.5);
        writer.AddBool("flag", true);
        writer.AddArray("u32s", new uint[] { 1, 2, uint.MaxValue });
        writer.AddArray("i64s", new long[] { -3, 4 });
        writer.AddArray("f64s", new double[] { 0.25, -1 });
        writer.AddStringArray("strs", ["x"]);
        string path = _temp.NewFile();
        writer.WriteTo(path);
        _file = GgufFile.Open(path);
    }

    [OneTimeTearDown]
    public void Cleanup()
    {
        _file.Dispose();
        _temp.Dispose();
    }

    [Test]
    public void AllowedConversions()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_file.Metadata["u8"].AsInt64(), Is.EqualTo(200));
            Assert.That(_file.Metadata["u8"].AsDouble(), Is.EqualTo(200.0));
            Assert.That(_file.Metadata["f64"].AsDouble(), Is.EqualTo(0.5));
            Assert.That(_file.GetSingle("f64"), Is.EqualTo(0.5f));
            Assert.That(_file.TryGetSingle("u8"), Is.EqualTo(200f));
            Assert.That(_file.Metadata["big"].AsDouble(), Is.EqualTo(18446744073709551615.0));
            Assert.That(_file.Metadata["i64s"].AsInt32Array(), Is.EqualTo(new[] { -3, 4 }));
            Assert.That(_file.Metadata["f64s"].AsFloatArray(), Is.EqualTo(new[] { 0.25f, -1f }));
            Assert.That(_file.Metadata["strs"].ToString(), Is.EqualTo("Array of String[1]"));
        });
    }

    [Test]
    public void AccessorsReturnCopies()
    {
        GgufValue strings = _file.Metadata["strs"];
        strings.AsStringArray()[0] = "changed";
        Assert.That(strings.AsStringArray()[0], Is.EqualTo("x"));
    }

    [Test]
    public void WrongTypeNamesTheActualType()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => _file.Metadata["s"].AsInt64(), Throws.InvalidOperationException.With.Message.Contains("is String"));
            Assert.That(() => _file.Metadata["u8"].AsString(), Throws.InvalidOperationException.With.Message.Contains("is UInt8"));
            Assert.That(() => _file.Metadata["flag"].AsDouble(), Throws.InvalidOperationException.With.Message.Contains("is Bool"));
            Assert.That(() => _file.Metadata["f64"].AsBool(), Throws.InvalidOperationException.With.Message.Contains("is Float64"));
            Assert.That(() => _file.Metadata["strs"].AsFloatArray(), Throws.InvalidOperationException.With.Message.Contains("is Array of String"));
            Assert.That(() => _file.Metadata["strs"].AsInt32Array(), Throws.InvalidOperationException.With.Message.Contains("is Array of String"));
            Assert.That(() => _file.Metadata["u32s"].AsStringArray(), Throws.InvalidOperationException.With.Message.Contains("is Array of UInt32"));
            Assert.That(() => _file.Metadata["u8"].Count, Throws.InvalidOperationException.With.Message.Contains("is UInt8"));
            Assert.That(() => _file.Metadata["s"].ElementType, Throws.InvalidOperationException.With.Message.Contains("is String"));
        });
    }

    [Test]
    public void IntegerRangeIsChecked()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => _file.Metadata["big"].AsInt64(), Throws.InvalidOperationException.With.Message.Contains("does not fit an Int64"));
            Assert.That(() => _file.Metadata["u32s"].AsInt32Array(), Throws.InvalidOperationException.With.Message.Contains("element 2 is 4294967295"));
        });
    }

    [Test]
    public void FileGettersNameFileAndKey()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => _file.GetString("absent"), Throws.TypeOf<GgufFormatException>()
                .With.Message.EqualTo($"{_file.FilePath}: missing metadata key 'absent'"));
            Assert.That(() => _file.GetInt64("s"), Throws.TypeOf<GgufFormatException>()
                .With.Message.StartWith(_file.FilePath + ": metadata key 's': GGUF value is String"));
            Assert.That(() => _file.GetInt64("big"), Throws.TypeOf<GgufFormatException>().With.Message.Contains("'big'"));
            Assert.That(() => _file.TryGetBool("u8"), Throws.TypeOf<GgufFormatException>().With.Message.Contains("'u8'"));
            Assert.That(() => _file.GetTensor("w"), Throws.TypeOf<GgufFormatException>()
                .With.Message.EqualTo($"{_file.FilePath}: missing tensor 'w'"));
            Assert.That(_file.TryGetTensor("w", out _), Is.False);
            Assert.That(_file.TryGetInt64("absent"), Is.Null);
            Assert.That(_file.TryGetBool("absent"), Is.Null);
            Assert.That(_file.TryGetSingle("absent"), Is.Null);
        });
    }

    [Test]
    public void ForeignTensorRecordIsRefused()
    {
        var outside = new GgufTensorInfo("x", GgmlType.F32, [1_000_000], 0, 4_000_000);
        Assert.That(() => _file.GetTensorBytes(outside), Throws.ArgumentException.With.Message.Contains("is not inside"));
    }
}
