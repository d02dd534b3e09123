using EdgeLlm.Kernels.Quant;
using EdgeLlm.Kernels.Threading;

namespace EdgeLlm.Kernels.Model;

/// <summary>
/// The llama forward pass for one token at a time, read top to bottom:
/// embedding → per block [RMSNorm → Q,K,V → RoPE → grouped-query attention over the KV cache → output
/// projection → residual → RMSNorm → SwiGLU FFN → residual] → final RMSNorm → logits.
/// Matrix products run on fixed-point kernels (activations quantized once per input vector to Q8_0)
/// for Q8_0/Q4_0 weights and on float kernels for F32/F16 weights. Not thread-safe: one sequence at a time.
/// </summary>
public sealed class Transformer
{
    private readonly ModelConfig c;
    private readonly ModelWeights w;
    private readonly WorkerPool pool;

    // Activation buffers, allocated once: no allocation on the per-token path.
    private readonly float[] x;      // residual stream
    private readonly float[] xb;     // normed input of a matmul
    private readonly float[] q;      // query of all heads
    private readonly float[] k;      // key of the current position
    private readonly float[] v;      // value of the current position
    private readonly float[] att;    // attention output of all heads
    private readonly float[] proj;   // output of Wo / Down before the residual add
    private readonly float[] hb;     // FFN gate, then silu(gate) * up
    private readonly float[] hb2;    // FFN up
    private readonly float[] scores; // attention scores of one head over positions
    private readonly float[] logits;
    private readonly float[] ropeCos;
    private readonly float[] ropeSin;
    private readonly Q8Activations xq;

    public Transformer(ModelConfig config, ModelWeights weights, WorkerPool pool, int contextLength)
    {
        if (contextLength < 1 || contextLength > config.ContextLength)
        {
            throw new ArgumentOutOfRangeException(nameof(contextLength), $"context length must be in [1, {config.ContextLength}], got {contextLength}");
        }

        c = config;
        w = weights;
        this.pool = pool;
        ContextLength = contextLength;
        Cache = new KvCache(c.EffectiveLayers, contextLength, c.KvDim);
        x = Pinned(c.Dim);
        xb = Pinned(c.Dim);
        q = Pinned(c.Dim);
        k = Pinned(c.KvDim);
        v = Pinned(c.KvDim);
        att = Pinned(c.Dim);
        proj = Pinned(c.Dim);
        hb = Pinned(c.HiddenDim);
        hb2 = Pinned(c.HiddenDim);
        scores = Pinned(contextLength);
        logits = Pinned(c.VocabSize);
        ropeCos = Pinned(c.RopeDims / 2);
        ropeSin = Pinned(c.RopeDims / 2);
        xq = new Q8Activations(RoundUp(Math.Max(c.Dim, c.HiddenDim), Q8_0.BlockSize));
    }

    public ModelConfig Config => c;

    public int ContextLength { get; }

    public KvCache Cache { get; }

    /// <summary>
    /// Runs token <paramref name="token"/> at position <paramref name="pos"/> (positions 0..pos-1 must be in the cache).
    /// Returns the logits, or an empty span when <paramref name="computeLogits"/> is false (prompt tokens but the last).
    /// </summary>
    public ReadOnlySpan<float> Forward(int token, int pos, bool computeLogits = true)
    {
        if ((uint)token >= (uint)c.VocabSize)
        {
            throw new ArgumentOutOfRangeException(nameof(token), $"token {token} is outside the vocabulary of {c.VocabSize}");
        }

        if ((uint)pos >= (uint)ContextLength)
        {
            throw new ArgumentOutOfRangeException(nameof(pos), $"position {pos} is outside the context of {ContextLength}");
        }

        w.EmbeddingRow(token, x);
        RopeTable(pos);

        int pass = 0;
        foreach (var block in w.Blocks)
        {
            // Layer sharing (MobileLLM-LS): the same stored block runs again, with its own cache slots.
            for (int r = 0; r < c.LayerRepeats; r++, pass++)
            {
                Attention(block, pass, pos);
                FeedForward(block);
            }
        }

        if (!computeLogits)
        {
            return [];
        }

        RmsNorm(xb, x, w.OutputNorm, c.RmsEps);
        QuantizeFor(xb, w.Output);
        MatVec.Multiply(w.Output, xb, xq, logits, pool);
        return logits;
    }

    private void Attention(BlockWeights b, int pass, int pos)
    {
        RmsNorm(xb, x, b.AttnNorm, c.RmsEps);
        QuantizeFor(xb, b.Wq, b.Wk, b.Wv); // once for Q, K and V
        MatVec.Multiply(b.Wq, xb, xq, q, pool);
        MatVec.Multiply(b.Wk, xb, xq, k, pool);
        MatVec.Multiply(b.Wv, xb, xq, v, pool);

        for (int h = 0; h < c.Heads; h++)
        {
            Rope(q.AsSpan(h * c.HeadDim, c.HeadDim));
        }

        for (int h = 0; h < c.KvHeads; h++)
        {
            Rope(k.AsSpan(h * c.HeadDim, c.HeadDim));
        }

        k.CopyTo(Cache.Key(pass, pos));
        v.CopyTo(Cache.Value(pass, pos));

        int group = c.Heads / c.KvHeads; // grouped-query attention: heads share a KV head
        float scale = 1f / MathF.Sqrt(c.HeadDim);
        var sc = scores.AsSpan(0, pos + 1);
        for (int h = 0; h < c.Heads; h++)
        {
            var qh = q.AsSpan(h * c.HeadDim, c.HeadDim);
            int kvOff = h / group * c.HeadDim;
            for (int t = 0; t <= pos; t++)
            {
                sc[t] = Ops.Dot(qh, Cache.Key(pass, t).Slice(kvOff, c.HeadDim)) * scale;
            }

            Ops.Softmax(sc);

            var oh = att.AsSpan(h * c.HeadDim, c.HeadDim);
            oh.Clear();
            for (int t = 0; t <= pos; t++)
            {
                Ops.AddScaled(oh, Cache.Value(pass, t).Slice(kvOff, c.HeadDim), sc[t]);
            }
        }

        QuantizeFor(att, b.Wo);
        MatVec.Multiply(b.Wo, att, xq, proj, pool);
        Ops.Add(x, proj);
    }

    private void FeedForward(BlockWeights b)
    {
        RmsNorm(xb, x, b.FfnNorm, c.RmsEps);
        QuantizeFor(xb, b.Gate, b.Up); // once for gate and up
        MatVec.Multiply(b.Gate, xb, xq, hb, pool);
        MatVec.Multiply(b.Up, xb, xq, hb2, pool);
        Ops.SwiGlu(hb, hb2);
        QuantizeFor(hb, b.Down);
        MatVec.Multiply(b.Down, hb, xq, proj, pool);
        Ops.Add(x, proj);
    }

    /// <summary>
    /// cos/sin of every rotated pair for this position, shared by all heads. The angle is built the way ggml
    /// builds it (theta *= base^(-2/n) per pair, in float) so our rotation tracks llama.cpp's.
    /// </summary>
    private void RopeTable(int pos)
    {
        float thetaScale = MathF.Pow(c.RopeTheta, -2f / c.RopeDims);
        float theta = pos;
        for (int i = 0; i < ropeCos.Length; i++)
        {
            ropeCos[i] = MathF.Cos(theta);
            ropeSin[i] = MathF.Sin(theta);
            theta *= thetaScale;
        }
    }

    /// <summary>llama.cpp's "normal" RoPE: rotates adjacent pairs (x[2i], x[2i+1]) of the first RopeDims elements.</summary>
    private void Rope(Span<float> head)
    {
        for (int i = 0; i < ropeCos.Length; i++)
        {
            float x0 = head[2 * i], x1 = head[(2 * i) + 1];
            head[2 * i] = (x0 * ropeCos[i]) - (x1 * ropeSin[i]);
            head[(2 * i) + 1] = (x0 * ropeSin[i]) + (x1 * ropeCos[i]);
        }
    }

    /// <summary>RMSNorm with the sum of squares in double, as ggml does.</summary>
    private static void RmsNorm(Span<float> dst, ReadOnlySpan<float> src, ReadOnlySpan<float> weight, float eps)
    {
        double sum = 0;
        foreach (float f in src)
        {
            sum += f * f;
        }

        float mean = (float)(sum / src.Length);
        float scale = 1f / MathF.Sqrt(mean + eps);
        for (int i = 0; i < src.Length; i++)
        {
            dst[i] = src[i] * scale * weight[i];
        }
    }

    /// <summary>
    /// Quantizes the input vector once when any of the matrices that read it is quantized
    /// (F32/F16 matrices read the floats; a 172-wide FFN input cannot even be cut into Q8_0 blocks).
    /// </summary>
    private void QuantizeFor(ReadOnlySpan<float> input, in WeightMatrix a)
    {
        if (IsQuantized(a))
        {
            xq.Quantize(input);
        }
    }

    private void QuantizeFor(ReadOnlySpan<float> input, in WeightMatrix a, in WeightMatrix b, in WeightMatrix c = default)
    {
        if (IsQuantized(a) || IsQuantized(b) || IsQuantized(c))
        {
            xq.Quantize(input);
        }
    }

    private static bool IsQuantized(in WeightMatrix m) => m.Type is Gguf.GgmlType.Q8_0 or Gguf.GgmlType.Q4_0;

    private static int RoundUp(int n, int multiple) => (n + multiple - 1) / multiple * multiple;

    private static float[] Pinned(int n) => GC.AllocateArray<float>(n, pinned: true);
}
