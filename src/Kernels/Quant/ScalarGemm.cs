namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// The reference of the prefill tiles: the scalar matrix × vector kernel per token, over groups of 16 rows small
/// enough to stay in cache while every token of the batch reads them. It defines what every tile computes: per
/// (row, token) the single-token float sequence, so prefill and decode give the same bits.
/// </summary>
internal static unsafe class ScalarGemm
{
    public static void Q8_0(in MatVecArgs a, int r0, int r1)
    {
        for (int rr = r0; rr < r1; rr += 16)
        {
            int re = Math.Min(r1, rr + 16);
            for (int t = 0; t < a.Tokens; t++)
            {
                ScalarKernels.Q8_0(a.ForToken(t), rr, re, default(NoSink));
            }
        }
    }

    public static void Q4_0(in MatVecArgs a, int r0, int r1)
    {
        for (int rr = r0; rr < r1; rr += 16)
        {
            int re = Math.Min(r1, rr + 16);
            for (int t = 0; t < a.Tokens; t++)
            {
                ScalarKernels.Q4_0(a.ForToken(t), rr, re, default(NoSink));
            }
        }
    }

    public static void Q8_0R8(in MatVecArgs a, int r0, int r1)
    {
        for (int rr = r0; rr < r1; rr += 16)
        {
            int re = Math.Min(r1, rr + 16);
            for (int t = 0; t < a.Tokens; t++)
            {
                ScalarKernels.Q8_0R8(a.ForToken(t), rr, re, default(NoSink));
            }
        }
    }

    public static void Q4_0R8(in MatVecArgs a, int r0, int r1)
    {
        for (int rr = r0; rr < r1; rr += 16)
        {
            int re = Math.Min(r1, rr + 16);
            for (int t = 0; t < a.Tokens; t++)
            {
                ScalarKernels.Q4_0R8(a.ForToken(t), rr, re, default(NoSink));
            }
        }
    }
}
