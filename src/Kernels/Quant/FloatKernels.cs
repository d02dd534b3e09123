using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// SIMD float dot for F32/F16 weights: 256-bit vectors on the x86 paths, 128-bit on arm64: FMA into several accumulators, so the result is
/// not bit-identical to the scalar loop; tests bound both against a double-precision reference.
/// F16 → F32 in registers: (bits &amp; 0x7FFF) &lt;&lt; 13 read as a float times 2^112 is exact for every finite half
/// (normal and subnormal; no FTZ/DAZ in .NET), inf/NaN get an all-ones exponent, then the sign is or-ed back.
/// </summary>
internal static unsafe class FloatKernels
{
    /// <summary>F32 rows with 256-bit vectors (the x86 paths).</summary>
    public static void F32x86(in MatVecArgs a, int r0, int r1)
    {
        for (int r = r0; r < r1; r++)
        {
            a.Y[r] = Dot256((float*)(a.W + (a.RowBytes * r)), a.X, a.Cols);
        }
    }

    /// <summary>F32 rows with 128-bit vectors (the arm64 paths).</summary>
    public static void F32Arm(in MatVecArgs a, int r0, int r1)
    {
        for (int r = r0; r < r1; r++)
        {
            a.Y[r] = Dot128((float*)(a.W + (a.RowBytes * r)), a.X, a.Cols);
        }
    }

    /// <summary>F16 rows with 256-bit vectors (the x86 paths).</summary>
    public static void F16x86(in MatVecArgs a, int r0, int r1)
    {
        for (int r = r0; r < r1; r++)
        {
            a.Y[r] = DotF16x256((ushort*)(a.W + (a.RowBytes * r)), a.X, a.Cols);
        }
    }

    /// <summary>F16 rows with 128-bit vectors (the arm64 paths).</summary>
    public static void F16Arm(in MatVecArgs a, int r0, int r1)
    {
        for (int r = r0; r < r1; r++)
        {
            a.Y[r] = DotF16x128((ushort*)(a.W + (a.RowBytes * r)), a.X, a.Cols);
        }
    }

    private static float Dot256(float* w, float* x, int n)
    {
        int j = 0;
        Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
        for (; j + 32 <= n; j += 32)
        {
            a0 = Vector256.FusedMultiplyAdd(Vector256.Load(w + j), Vector256.Load(x + j), a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.Load(w + j + 8), Vector256.Load(x + j + 8), a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.Load(w + j + 16), Vector256.Load(x + j + 16), a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.Load(w + j + 24), Vector256.Load(x + j + 24), a3);
        }

        for (; j + 8 <= n; j += 8)
        {
            a0 = Vector256.FusedMultiplyAdd(Vector256.Load(w + j), Vector256.Load(x + j), a0);
        }

        float tail = Vector256.Sum((a0 + a1) + (a2 + a3));
        for (; j < n; j++)
        {
            tail += w[j] * x[j];
        }

        return tail;
    }

    private static float Dot128(float* w, float* x, int n)
    {
        int j = 0;
        Vector128<float> a0 = Vector128<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
        for (; j + 16 <= n; j += 16)
        {
            a0 = Vector128.FusedMultiplyAdd(Vector128.Load(w + j), Vector128.Load(x + j), a0);
            a1 = Vector128.FusedMultiplyAdd(Vector128.Load(w + j + 4), Vector128.Load(x + j + 4), a1);
            a2 = Vector128.FusedMultiplyAdd(Vector128.Load(w + j + 8), Vector128.Load(x + j + 8), a2);
            a3 = Vector128.FusedMultiplyAdd(Vector128.Load(w + j + 12), Vector128.Load(x + j + 12), a3);
        }

        for (; j + 4 <= n; j += 4)
        {
            a0 = Vector128.FusedMultiplyAdd(Vector128.Load(w + j), Vector128.Load(x + j), a0);
        }

        float tail = Vector128.Sum((a0 + a1) + (a2 + a3));
        for (; j < n; j++)
        {
            tail += w[j] * x[j];
        }

        return tail;
    }

    private static float DotF16x256(ushort* w, float* x, int n)
    {
        int j = 0;
        Vector256<float> a0 = Vector256<float>.Zero, a1 = a0;
        for (; j + 16 <= n; j += 16)
        {
            Vector256<ushort> h = Vector256.Load(w + j);
            a0 = Vector256.FusedMultiplyAdd(HalfToSingle(Vector256.WidenLower(h)), Vector256.Load(x + j), a0);
            a1 = Vector256.FusedMultiplyAdd(HalfToSingle(Vector256.WidenUpper(h)), Vector256.Load(x + j + 8), a1);
        }

        float tail = Vector256.Sum(a0 + a1);
        for (; j < n; j++)
        {
            tail += Fp16.Table[w[j]] * x[j];
        }

        return tail;
    }

    private static float DotF16x128(ushort* w, float* x, int n)
    {
        int j = 0;
        Vector128<float> a0 = Vector128<float>.Zero, a1 = a0;
        for (; j + 8 <= n; j += 8)
        {
            Vector128<ushort> h = Vector128.Load(w + j);
            a0 = Vector128.FusedMultiplyAdd(HalfToSingle(Vector128.WidenLower(h)), Vector128.Load(x + j), a0);
            a1 = Vector128.FusedMultiplyAdd(HalfToSingle(Vector128.WidenUpper(h)), Vector128.Load(x + j + 4), a1);
        }

        float tail = Vector128.Sum(a0 + a1);
        for (; j < n; j++)
        {
            tail += Fp16.Table[w[j]] * x[j];
        }

        return tail;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> HalfToSingle(Vector256<uint> h)
    {
        Vector256<uint> em = h & Vector256.Create(0x7FFFu);
        Vector256<uint> f = (Vector256.ShiftLeft(em, 13).AsSingle() * Vector256.Create(BitConverter.UInt32BitsToSingle(0x7780_0000u))).AsUInt32();
        Vector256<uint> special = Vector256.GreaterThanOrEqual(em, Vector256.Create(0x7C00u));
        f = Vector256.ConditionalSelect(special, Vector256.ShiftLeft(em, 13) | Vector256.Create(0x7F80_0000u), f);
        return (f | Vector256.ShiftLeft(h & Vector256.Create(0x8000u), 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> HalfToSingle(Vector128<uint> h)
    {
        Vector128<uint> em = h & Vector128.Create(0x7FFFu);
        Vector128<uint> f = (Vector128.ShiftLeft(em, 13).AsSingle() * Vector128.Create(BitConverter.UInt32BitsToSingle(0x7780_0000u))).AsUInt32();
        Vector128<uint> special = Vector128.GreaterThanOrEqual(em, Vector128.Create(0x7C00u));
        f = Vector128.ConditionalSelect(special, Vector128.ShiftLeft(em, 13) | Vector128.Create(0x7F80_0000u), f);
        return (f | Vector128.ShiftLeft(h & Vector128.Create(0x8000u), 16)).AsSingle();
    }
}
