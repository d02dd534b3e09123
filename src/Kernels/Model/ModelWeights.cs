using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Quant;

namespace EdgeLlm.Kernels.Model;

/// <summary>One transformer block's tensors: views into the memory map, never copies.</summary>
public sealed class BlockWeights
{
    public required float[] AttnNorm { get; init; }
    public required WeightMatrix Wq { get; init; }
    public required WeightMatrix Wk { get; init; }
    public required WeightMatrix Wv { get; init; }
    public required WeightMatrix Wo { get; init; }
    public required float[] FfnNorm { get; init; }
    public required WeightMatrix Gate { get; init; }
    public required WeightMatrix Up { get; init; }
    public required WeightMatrix Down { get; init; }
}

/// <summary>
/// All tensors of a llama model, shape-checked against the config when the file is opened.
/// Matrices stay in the map (flash-backed); only the small norm vectors are copied to f32.
/// </summary>
public sealed unsafe class ModelWeights
{
    private ModelWeights(WeightMatrix embedding, BlockWeights[] blocks, float[] outputNorm, WeightMatrix output, bool tied)
    {
        Embedding = embedding;
        Blocks = blocks;
        OutputNorm = outputNorm;
        Output = output;
        TiedOutput = tied;
    }

    /// <summary>token_embd.weight: one row of Dim per token.</summary>
    public WeightMatrix Embedding { get; }

    public BlockWeights[] Blocks { get; }

    public float[] OutputNorm { get; }

    /// <summary>The classifier: output.weight, or the embedding when the model ties them.</summary>
    public WeightMatrix Output { get; }

    public bool TiedOutput { get; }

    public static ModelWeights Load(GgufFile file, ModelConfig c)
    {
        var blocks = new BlockWeights[c.Layers];
        for (int i = 0; i < c.Layers; i++)
        {
            string p = $"blk.{i}.";
            blocks[i] = new BlockWeights
            {
                AttnNorm = Vector(file, p + "attn_norm.weight", c.Dim),
                Wq = Matrix(file, p + "attn_q.weight", c.Dim, c.Dim),
                Wk = Matrix(file, p + "attn_k.weight", c.KvDim, c.Dim),
                Wv = Matrix(file, p + "attn_v.weight", c.KvDim, c.Dim),
                Wo = Matrix(file, p + "attn_output.weight", c.Dim, c.Dim),
                FfnNorm = Vector(file, p + "ffn_norm.weight", c.Dim),
                Gate = Matrix(file, p + "ffn_gate.weight", c.HiddenDim, c.Dim),
                Up = Matrix(file, p + "ffn_up.weight", c.HiddenDim, c.Dim),
                Down = Matrix(file, p + "ffn_down.weight", c.Dim, c.HiddenDim),
            };
        }

        var embedding = Matrix(file, "token_embd.weight", c.VocabSize, c.Dim);
        bool tied = !file.TryGetTensor("output.weight", out _);
        var output = tied ? embedding : Matrix(file, "output.weight", c.VocabSize, c.Dim);
        return new ModelWeights(embedding, blocks, Vector(file, "output_norm.weight", c.Dim), output, tied);
    }

    /// <summary>Dequantizes one embedding row into <paramref name="dst"/>.</summary>
    public void EmbeddingRow(int token, Span<float> dst)
    {
        var e = Embedding;
        if (GgmlTypeInfo.IsInterleaved(e.Type))
        {
            // The row's bytes are spread over its group of eight (docs/interleaved.md): gather them, then expand.
            GgmlType plain = GgmlTypeInfo.Plain(e.Type);
            Span<byte> gathered = stackalloc byte[checked((int)e.RowBytes)];
            RowInterleave.CopyRow(plain, new ReadOnlySpan<byte>(e.Data, checked((int)e.TotalBytes)), token, e.Cols, gathered);
            Dequant.Row(plain, gathered, dst);
            return;
        }

        var row = new ReadOnlySpan<byte>(e.Data + (long)token * e.RowBytes, checked((int)e.RowBytes));
        Dequant.Row(e.Type, row, dst);
    }

    private static WeightMatrix Matrix(GgufFile file, string name, int rows, int cols)
    {
        var t = file.GetTensor(name);
        if (t.Shape.Length != 2 || t.Shape[0] != cols || t.Shape[1] != rows)
        {
            throw new GgufFormatException(file.FilePath, $"tensor '{name}' has shape [{string.Join(", ", t.Shape)}], expected [{cols}, {rows}]");
        }

        if (!GgmlTypeInfo.IsSupported(t.Type))
        {
            throw new GgufFormatException(file.FilePath, $"tensor '{name}' has type {t.Type}, which this engine does not compute with (F32, F16, Q8_0, Q4_0 and their interleaved Q8_0_R8, Q4_0_R8)");
        }

        return new WeightMatrix(t.Type, file.GetTensorPointer(t), rows, cols);
    }

    private static float[] Vector(GgufFile file, string name, int length)
    {
        var t = file.GetTensor(name);
        if (t.ElementCount != length || t.Shape[0] != length)
        {
            throw new GgufFormatException(file.FilePath, $"tensor '{name}' has shape [{string.Join(", ", t.Shape)}], expected [{length}]");
        }

        if (t.Type is not (GgmlType.F32 or GgmlType.F16))
        {
            throw new GgufFormatException(file.FilePath, $"tensor '{name}' has type {t.Type}; norm weights must be F32 or F16");
        }

        var v = new float[length];
        Dequant.Row(t.Type, file.GetTensorBytes(t), v);
        return v;
    }
}
