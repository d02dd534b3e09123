using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// SIMD float dot for F32/F16 weights (every non-scalar path): FMA into several accumulators, so the result is
/// not bit-identical to the scalar loop; tests bound both against a double-precision reference.
/// F16 → F32 in registers: (bits &amp; 0x7FFF) &lt;&lt; 13 read as a float times 2^112 is exact for every finite half
/// (normal and subnormal; no FTZ/DAZ in .NET), inf/NaN get an all-ones exponent, then the sign is or-ed back.
/// </summary>
internal static unsafe class FloatKernels
{
    public static void F32(in MatVecArgs a, int r0, int r1)
    {
        for (int r = r0; r < r1; r++)
        {
            a.Y[r] = Dot((float*)(a.W + (a.RowBytes * r)), a.X, a.Cols);
        }
    }

    public static void F16(in MatVecArgs a, int r0, int r1)
    {
        for (int r = r0; r < r1; r++)
        {
            a.Y[r] = DotF16((ushort*)(a.W + (a.RowBytes * r)), a.X, a.Cols);
        }
    }

    private static float Dot(float* w, float* x, int n)
    {
        int j = 0;
        float tail = 0f;
        if (Vector256.IsHardwareAccelerated)
        {
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

            tail = Vector256.Sum((a0 + a1) + (a2 + a3));
        }
        else
        {
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

            tail = Vector128.Sum((a0 + a1) + (a2 + a3));
        }

        for (; j < n; j++)
        {
            tail += w[j] * x[j];
        }

        return tail;
    }

    private static float DotF16(ushort* w, float* x, int n)
    {
        int j = 0;
        float tail = 0f;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> a0 = Vector256<float>.Zero, a1 = a0;
            for (; j + 16 <= n; j += 16)
            {
                Vector256<ushort> h = Vector256.Load(w + j);
                a0 = Vector256.FusedMultiplyAdd(HalfToSingle(Vector256.WidenLower(h)), Vector256.Load(x + j), a0);
                a1 = Vector256.FusedMultiplyAdd(HalfToSingle(Vector256.WidenUpper(h)), Vector256.Load(x + j + 8), a1);
            }

            tail = Vector256.Sum(a0 + a1);
        }
        else
        {
            Vector128<float> a0 = Vector128<float>.Zero, a1 = a0;
            for (; j + 8 <= n; j += 8)
            {
                Vector128<ushort> h = Vector128.Load(w + j);
                a0 = Vector128.FusedMultiplyAdd(HalfToSingle(Vector128.WidenLower(h)), Vector128.Load(x + j), a0);
                a1 = Vector128.FusedMultiplyAdd(HalfToSingle(Vector128.WidenUpper(h)), Vector128.Load(x + j + 4), a1);
            }

            tail = Vector128.Sum(a0 + a1);
        }

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
