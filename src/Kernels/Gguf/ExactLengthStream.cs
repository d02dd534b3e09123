namespace EdgeLlm.Kernels.Gguf;

/// <summary>
/// Write-only view handed to a streamed tensor's producer: refuses bytes beyond the tensor's size (they would
/// shift every later tensor) and reports a short write afterwards. Disposing it leaves the file open.
/// </summary>
internal sealed class ExactLengthStream(Stream inner, string tensorName, long expectedBytes) : Stream
{
    public long Written { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => Written;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length > expectedBytes - Written)
        {
            throw new InvalidOperationException(
                $"tensor '{tensorName}' wrote more than its {expectedBytes} bytes ({Written} + {buffer.Length})");
        }

        inner.Write(buffer);
        Written += buffer.Length;
    }

    public override void WriteByte(byte value) => Write([value]);

    public void CheckComplete()
    {
        if (Written != expectedBytes)
        {
            throw new InvalidOperationException($"tensor '{tensorName}' wrote {Written} bytes, expected {expectedBytes}");
        }
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
