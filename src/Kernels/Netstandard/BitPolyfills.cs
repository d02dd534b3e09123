using System.Buffers.Binary;

namespace EdgeLlm.Kernels;

/// <summary>netstandard2.1 polyfills of the .NET 10 bit-reinterpretation and endianness helpers the engine calls.</summary>
internal static class BitPolyfills
{
    extension(BitConverter)
    {
        public static float UInt32BitsToSingle(uint value) => BitConverter.Int32BitsToSingle((int)value);

        public static uint SingleToUInt32Bits(float value) => (uint)BitConverter.SingleToInt32Bits(value);

        public static double UInt64BitsToDouble(ulong value) => BitConverter.Int64BitsToDouble((long)value);
    }

    extension(ulong)
    {
        public static ulong RotateLeft(ulong value, int offset) => (value << offset) | (value >> (64 - offset));
    }

    extension(BinaryPrimitives)
    {
        public static float ReadSingleLittleEndian(ReadOnlySpan<byte> source) =>
            BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadInt32LittleEndian(source));

        public static void ReverseEndianness(ReadOnlySpan<ushort> source, Span<ushort> destination)
        {
            for (int i = 0; i < source.Length; i++)
            {
                destination[i] = BinaryPrimitives.ReverseEndianness(source[i]);
            }
        }

        public static void ReverseEndianness(ReadOnlySpan<uint> source, Span<uint> destination)
        {
            for (int i = 0; i < source.Length; i++)
            {
                destination[i] = BinaryPrimitives.ReverseEndianness(source[i]);
            }
        }

        public static void ReverseEndianness(ReadOnlySpan<ulong> source, Span<ulong> destination)
        {
            for (int i = 0; i < source.Length; i++)
            {
                destination[i] = BinaryPrimitives.ReverseEndianness(source[i]);
            }
        }
    }
}
