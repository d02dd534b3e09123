using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Quant;

namespace EdgeLlm.EdgeRuntime.Bench;

/// <summary>
/// Whether two GGUF files hold the same weights, one possibly in the row-interleaved layout (docs/interleaved.md):
/// llama.cpp cannot read an interleaved file, so <c>bench --llamacpp-model</c> runs it on the ggml file of the same
/// weights, and a side-by-side ratio only means something when they really are the same. Every tensor is compared
/// byte for byte (the interleaved one rearranged back first).
/// </summary>
public static class SameWeights
{
    /// <summary>Null when <paramref name="ours"/> and <paramref name="ggml"/> hold the same tensors, else the first difference.</summary>
    public static string? Difference(string ours, string ggml)
    {
        using var a = GgufFile.Open(ours);
        using var b = GgufFile.Open(ggml);
        if (b.Tensors.Any(t => GgmlTypeInfo.IsInterleaved(t.Type)))
        {
            return $"{Path.GetFileName(ggml)} is interleaved itself; llama.cpp needs a ggml file";
        }

        if (a.Tensors.Count != b.Tensors.Count)
        {
            return $"{a.Tensors.Count} tensors against {b.Tensors.Count}";
        }

        foreach (GgufTensorInfo ta in a.Tensors)
        {
            if (!b.TryGetTensor(ta.Name, out GgufTensorInfo? tb))
            {
                return $"tensor '{ta.Name}' is missing from {Path.GetFileName(ggml)}";
            }

            if (!ta.Shape.SequenceEqual(tb.Shape) || GgmlTypeInfo.Plain(ta.Type) != tb.Type)
            {
                return $"tensor '{ta.Name}': {ta.Type} [{string.Join(", ", ta.Shape)}] against {tb.Type} [{string.Join(", ", tb.Shape)}]";
            }

            ReadOnlySpan<byte> x = a.GetTensorBytes(ta), y = b.GetTensorBytes(tb);
            if (GgmlTypeInfo.IsInterleaved(ta.Type))
            {
                byte[] plain = new byte[x.Length];
                RowInterleave.Deinterleave(tb.Type, x, plain, checked((int)ta.Shape[1]), checked((int)ta.Shape[0]));
                x = plain;
            }

            if (!x.SequenceEqual(y))
            {
                return $"tensor '{ta.Name}' holds different weights";
            }
        }

        return null;
    }
}
