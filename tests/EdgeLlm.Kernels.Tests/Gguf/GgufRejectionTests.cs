using EdgeLlm.Kernels.Gguf;

namespace EdgeLlm.Kernels.Tests.Gguf;

/// <summary>One hand-built malformed file per validation rule; each must fail with a message naming file and problem.</summary>
public sealed class GgufRejectionTests
{
    private const uint F32 = 0, Q8_0 = 8;

    private TempFolder _temp = null!;

    [OneTimeSetUp]
    public void CreateFolder() => _temp = new TempFolder();

    [OneTimeTearDown]
    public void DeleteFolder() => _temp.Dispose();

    [Test]
    public void EmptyFileIsTruncated() => AssertRejected([], "truncated");

    [Test]
    public void HeaderCutShortIsTruncated() => AssertRejected(RawGguf.Header(0, 0).ToArray()[..13], "truncated");

    [Test]
    public void WrongMagic() => AssertRejected(new RawGguf().Bytes("GGML"u8).U32(3).U64(0).U64(0).ToArray(), "not a GGUF file");

    [TestCase(1u)]
    [TestCase(4u)]
    [TestCase(0u)]
    public void UnsupportedVersion(uint version) =>
        AssertRejected(RawGguf.Header(0, 0, version).ToArray(), $"unsupported GGUF version {version}");

    [Test]
    public void Version2IsAccepted()
    {
        // v2 has v3's layout (u64 counts); only v1 used u32 counts, and llama.cpp dropped it too.
        using GgufFile file = GgufFile.Open(_temp.Write(RawGguf.Header(0, 1, version: 2).KvU32("a.b", 7).ToArray()));
        Assert.That(file.Version, Is.EqualTo(2));
        Assert.That(file.GetInt64("a.b"), Is.EqualTo(7));
    }

    [Test]
    public void BigEndianVersion() => AssertRejected(RawGguf.Header(0, 0, 0x03000000).ToArray(), "big-endian");

    [Test]
    public void TensorCountBeyondFile() => AssertRejected(RawGguf.Header(1UL << 40, 0).ToArray(), "tensor count is 1099511627776");

    [Test]
    public void MetadataCountBeyondFile() => AssertRejected(RawGguf.Header(0, ulong.MaxValue).ToArray(), "metadata count is");

    [Test]
    public void StringLengthBeyondFile() =>
        AssertRejected(RawGguf.Header(0, 1).U64(1000).Bytes("abc"u8).Zeros(16).ToArray(), "claims 1000 bytes");

    [Test]
    public void HugeStringLengthDoesNotAllocate() =>
        AssertRejected(RawGguf.Header(0, 1).U64(ulong.MaxValue).Zeros(16).ToArray(), "key of metadata entry #0");

    [Test]
    public void ArrayCountBeyondFile() =>
        AssertRejected(RawGguf.Header(0, 1).Str("a").U32(9).U32(4).U64(1UL << 60).Zeros(8).ToArray(), "element count of array 'a'");

    [Test]
    public void StringArrayCountBeyondFile() =>
        AssertRejected(RawGguf.Header(0, 1).Str("s").U32(9).U32(8).U64(3).Str("x").ToArray(), "element count of array 's' is 3");

    [Test]
    public void NestedArraysTooDeep()
    {
        RawGguf raw = RawGguf.Header(0, 1).Str("n").U32(9);
        for (int i = 0; i < 6; i++)
        {
            raw.U32(9).U64(1);
        }

        AssertRejected(raw.U32(4).U64(0).ToArray(), "nests arrays deeper");
    }

    [Test]
    public void UnknownValueType() => AssertRejected(RawGguf.Header(0, 1).Str("k").U32(13).U32(0).ToArray(), "unknown value type 13");

    [Test]
    public void UnknownArrayElementType() =>
        AssertRejected(RawGguf.Header(0, 1).Str("k").U32(9).U32(77).U64(0).ToArray(), "unknown element type 77");

    [Test]
    public void BoolOtherThanZeroOrOne() => AssertRejected(RawGguf.Header(0, 1).Str("b").U32(7).U8(2).ToArray(), "invalid Bool byte 2");

    [Test]
    public void BoolArrayElementOtherThanZeroOrOne() =>
        AssertRejected(RawGguf.Header(0, 1).Str("b").U32(9).U32(7).U64(3).U8(1).U8(0).U8(5).ToArray(), "metadata 'b' has invalid Bool byte 5");

    [Test]
    public void DuplicateMetadataKey() =>
        AssertRejected(RawGguf.Header(0, 2).KvU32("x.y", 1).KvU32("x.y", 2).ToArray(), "duplicate metadata key 'x.y'");

    [Test]
    public void InvalidUtf8InKey() =>
        AssertRejected(RawGguf.Header(0, 1).StrBytes([0x61, 0xC3, 0x28]).U32(4).U32(1).ToArray(), "not valid UTF-8");

    [Test]
    public void InvalidUtf8InStringValue() =>
        AssertRejected(RawGguf.Header(0, 1).Str("k").U32(8).StrBytes([0xED, 0xA0, 0x80]).ToArray(), "not valid UTF-8"); // encoded surrogate

    [Test]
    public void AlignmentNotPowerOfTwo() =>
        AssertRejected(RawGguf.Header(0, 1).KvU32("general.alignment", 48).ToArray(), "general.alignment is 48, not a power of two");

    [Test]
    public void AlignmentZero() =>
        AssertRejected(RawGguf.Header(0, 1).KvU32("general.alignment", 0).ToArray(), "general.alignment is 0");

    [Test]
    public void AlignmentOfStringType() =>
        AssertRejected(RawGguf.Header(0, 1).KvStr("general.alignment", "32").ToArray(), "general.alignment: GGUF value is String");

    [TestCase(0)]
    [TestCase(5)]
    public void DimensionCountOutOfRange(int dims) =>
        AssertRejected(TensorFile(F32, 0, Enumerable.Repeat(1UL, dims).ToArray()), $"has {dims} dimensions");

    [Test]
    public void ZeroDimension() => AssertRejected(TensorFile(F32, 0, 4, 0), "dimension 1 is 0");

    [Test]
    public void DimensionAboveInt64() => AssertRejected(TensorFile(F32, 0, ulong.MaxValue), "dimension 0 is 18446744073709551615");

    [Test]
    public void ElementCountOverflow() => AssertRejected(TensorFile(F32, 0, 1UL << 32, 1UL << 32), "element count of shape");

    [Test]
    public void ByteSizeOverflow() => AssertRejected(TensorFile(F32, 0, 1UL << 62), "byte size of shape");

    [Test]
    public void RowNotWholeBlocks() => AssertRejected(TensorFile(Q8_0, 0, 33, 2), "row length 33 is not a whole number of Q8_0 blocks of 32");

    [TestCase(1008u, 12ul)]
    [TestCase(1002u, 4ul)]
    public void InterleavedRowsNotAMultipleOfEight(uint type, ulong rows) =>
        AssertRejected(TensorFile(type, 0, 32, rows), "row count is a multiple of 8");

    [Test]
    public void InterleavedVector() => AssertRejected(TensorFile(1008, 0, 64), "needs a matrix");

    [TestCase(4u)]
    [TestCase(999u)]
    public void UnknownTensorType(uint type) => AssertRejected(TensorFile(type, 0, 32), $"unknown ggml type {type}");

    [Test]
    public void UnalignedTensorOffset() => AssertRejected(TensorFile(F32, 4, 2), "data offset 4 is not aligned to 32");

    [Test]
    public void TensorPastEndOfFile() => AssertRejected(TensorFile(F32, 0, 64), "lies outside the file");

    [Test]
    public void TensorOffsetPastEndOfFile() => AssertRejected(TensorFile(F32, 1UL << 40, 1), "lies outside the file");

    [Test]
    public void TensorOffsetAboveInt64() => AssertRejected(TensorFile(F32, ulong.MaxValue - 31, 1), "is outside the file");

    [Test]
    public void DuplicateTensorName()
    {
        byte[] bytes = RawGguf.Header(2, 0).Tensor("w", F32, 0, 8).Tensor("w", F32, 32, 8).PadTo(32).Zeros(64).ToArray();
        AssertRejected(bytes, "duplicate tensor name 'w'");
    }

    [Test]
    public void HandBuiltValidTensorFileOpens()
    {
        // Guards the builders above: the same layout with sane values must be accepted.
        using GgufFile file = GgufFile.Open(_temp.Write(TensorFile(F32, 0, 8)));
        Assert.That(file.Tensors, Has.Count.EqualTo(1));
        Assert.That(file.GetTensorBytes(file.Tensors[0]).Length, Is.EqualTo(32));
    }

    [Test]
    public void NestedArrayWithinLimitOpens()
    {
        // [[1, 2], []] as an array of u32 arrays: nested elements carry no extra type tag.
        byte[] bytes = RawGguf.Header(0, 1).Str("n").U32(9).U32(9).U64(2)
            .U32(4).U64(2).U32(1).U32(2)
            .U32(4).U64(0).ToArray();
        using GgufFile file = GgufFile.Open(_temp.Write(bytes));
        var outer = (GgufValue[])file.Metadata["n"].Value;
        Assert.That(outer, Has.Length.EqualTo(2));
        Assert.That(outer[0].AsInt32Array(), Is.EqualTo(new[] { 1, 2 }));
        Assert.That(outer[1].Count, Is.Zero);
    }

    /// <summary>A file with one tensor "t" and 128 bytes of data after the aligned header.</summary>
    private static byte[] TensorFile(uint type, ulong offset, params ulong[] dims) =>
        RawGguf.Header(1, 0).Tensor("t", type, offset, dims).PadTo(32).Zeros(128).ToArray();

    private void AssertRejected(byte[] bytes, string expectedProblem)
    {
        string path = _temp.Write(bytes);
        var error = Assert.Throws<GgufFormatException>(() => GgufFile.Open(path).Dispose())!;
        Assert.That(error.FilePath, Is.EqualTo(path));
        Assert.That(error.Message, Does.StartWith(path + ": "));
        Assert.That(error.Message, Does.Contain(expectedProblem));
    }
}
