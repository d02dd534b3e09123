using System.Runtime.Intrinsics;
using EdgeLlm.Kernels.Quant;

namespace EdgeLlm.Kernels.Tests.Quant;

/// <summary>vpdpbusd written out in integers: each 32-bit lane adds its four unsigned × signed byte products.</summary>
internal struct EmulatedVnniStep : IX86TileStep
{
    public static Vector256<int> Step(Vector256<int> acc, Vector256<byte> w, Vector256<sbyte> x)
    {
        Span<int> lanes = stackalloc int[8];
        for (int lane = 0; lane < 8; lane++)
        {
            int sum = acc.GetElement(lane);
            for (int k = 0; k < 4; k++)
            {
                sum += w.GetElement((4 * lane) + k) * x.GetElement((4 * lane) + k);
            }

            lanes[lane] = sum;
        }

        return Vector256.Create<int>(lanes);
    }

    public static Vector256<int> Finish(Vector256<int> acc) => acc;
}
