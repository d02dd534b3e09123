namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// The reference kernels, written plainly (ggml's generic C shape). Per row and block: an int32 sum of products,
/// then acc += (float)sum * (d_w * d_x) in block order. Every SIMD path reproduces exactly this float sequence.
/// </summary>
internal static unsafe class ScalarKernels
{
    public static void Q8_0<TSink>(in MatVecArgs a, int r0, int r1, TSink sink)
        where TSink : struct, IBlockSink
    {
        for (int r = r0; r < r1; r++)
        {
            byte* p = a.W + (a.RowBytes * r);
            float acc = 0f;
            for (int b = 0; b < a.Blocks; b++, p += 34)
            {
                sbyte* w = (sbyte*)(p + 2);
                sbyte* x = a.Xq + (b * 32);
                int sum = 0;
                for (int j = 0; j < 32; j++)
                {
                    sum += w[j] * x[j];
                }

                sink.Put1(r, b, sum);
                acc += sum * (Fp16.Table[*(ushort*)p] * a.Xd[b]);
            }

            a.Y[r] = acc;
        }
    }

    public static void Q4_0<TSink>(in MatVecArgs a, int r0, int r1, TSink sink)
        where TSink : struct, IBlockSink
    {
        for (int r = r0; r < r1; r++)
        {
            byte* p = a.W + (a.RowBytes * r);
            float acc = 0f;
            for (int b = 0; b < a.Blocks; b++, p += 18)
            {
                byte* q = p + 2;
                sbyte* x = a.Xq + (b * 32);
                int sum = 0;
                for (int j = 0; j < 16; j++)
                {
                    sum += ((q[j] & 0x0F) - 8) * x[j];
                    sum += ((q[j] >> 4) - 8) * x[j + 16];
                }

                sink.Put1(r, b, sum);
                acc += sum * (Fp16.Table[*(ushort*)p] * a.Xd[b]);
            }

            a.Y[r] = acc;
        }
    }

    /// <summary>
    /// <see cref="Q8_0{TSink}"/> over the interleaved layout (<see cref="RowInterleave"/>): the same sums and the same
    /// float sequence per row, so the same bits as the plain matrix; only the addresses differ.
    /// </summary>
    public static void Q8_0R8<TSink>(in MatVecArgs a, int r0, int r1, TSink sink)
        where TSink : struct, IBlockSink
    {
        for (int r = r0; r < r1; r++)
        {
            int k = r % 8;
            byte* g = a.W + (a.RowBytes * (r - k)); // the group's first block: 8 rows × 34 bytes per block
            float acc = 0f;
            for (int b = 0; b < a.Blocks; b++, g += 8 * 34)
            {
                sbyte* x = a.Xq + (b * 32);
                int sum = 0;
                for (int j = 0; j < 32; j++)
                {
                    sum += ((sbyte*)g)[16 + ((j / 4) * 32) + (k * 4) + (j % 4)] * x[j];
                }

                sink.Put1(r, b, sum);
                acc += sum * (Fp16.Table[((ushort*)g)[k]] * a.Xd[b]);
            }

            a.Y[r] = acc;
        }
    }

    /// <summary><see cref="Q4_0{TSink}"/> over the interleaved layout, as <see cref="Q8_0R8{TSink}"/>.</summary>
    public static void Q4_0R8<TSink>(in MatVecArgs a, int r0, int r1, TSink sink)
        where TSink : struct, IBlockSink
    {
        for (int r = r0; r < r1; r++)
        {
            int k = r % 8;
            byte* g = a.W + (a.RowBytes * (r - k));
            float acc = 0f;
            for (int b = 0; b < a.Blocks; b++, g += 8 * 18)
            {
                sbyte* x = a.Xq + (b * 32);
                int sum = 0;
                for (int j = 0; j < 16; j++)
                {
                    byte q = g[16 + ((j / 4) * 32) + (k * 4) + (j % 4)];
                    sum += ((q & 0x0F) - 8) * x[j];
                    sum += ((q >> 4) - 8) * x[j + 16];
                }

                sink.Put1(r, b, sum);
                acc += sum * (Fp16.Table[((ushort*)g)[k]] * a.Xd[b]);
            }

            a.Y[r] = acc;
        }
    }

    public static void F32(in MatVecArgs a, int r0, int r1)
    {
        for (int r = r0; r < r1; r++)
        {
            float* w = (float*)(a.W + (a.RowBytes * r));
            float acc = 0f;
            for (int j = 0; j < a.Cols; j++)
            {
                acc += w[j] * a.X[j];
            }

            a.Y[r] = acc;
        }
    }

    public static void F16(in MatVecArgs a, int r0, int r1)
    {
        for (int r = r0; r < r1; r++)
        {
            ushort* w = (ushort*)(a.W + (a.RowBytes * r));
            float acc = 0f;
            for (int j = 0; j < a.Cols; j++)
            {
                acc += Fp16.Table[w[j]] * a.X[j];
            }

            a.Y[r] = acc;
        }
    }
}
