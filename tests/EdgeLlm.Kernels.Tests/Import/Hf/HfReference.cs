namespace EdgeLlm.Kernels.Tests.Import.Hf;

/// <summary>
/// Hugging Face's LlamaForCausalLM forward pass, written from its definition in double precision on the checkpoint's
/// own (unpermuted) weights: RMSNorm (x · rsqrt(mean(x²) + eps) · w), rotate-half RoPE (element j of a head pairs
/// with j + d/2, angle pos · θ^(-2j/d)), grouped-query attention (query head h reads KV head h / (heads / kv_heads)),
/// SwiGLU (down(silu(gate x) · up x)), final norm, logits from lm_head or the embeddings. MobileLLM-LS layer sharing:
/// each block runs twice in a row, each pass with its own KV cache.
/// </summary>
public sealed class HfReference
{
    private readonly HfModel m;
    private readonly bool adjacentPairs;
    private readonly List<double[]>[] keys;
    private readonly List<double[]>[] values;
    private int pos;

    /// <param name="model">The checkpoint.</param>
    /// <param name="adjacentPairs">Rotate pairs (2j, 2j+1) instead, as llama.cpp does: the WRONG convention for these
    /// weights, used only to show the tests would catch a missing permutation.</param>
    public HfReference(HfModel model, bool adjacentPairs = false)
    {
        m = model;
        this.adjacentPairs = adjacentPairs;
        int passes = m.Layers * (m.LayerSharing ? 2 : 1);
        keys = Enumerable.Range(0, passes).Select(_ => new List<double[]>()).ToArray();
        values = Enumerable.Range(0, passes).Select(_ => new List<double[]>()).ToArray();
    }

    public static double[][] Logits(HfModel model, IReadOnlyList<int> tokens, bool adjacentPairs = false)
    {
        var r = new HfReference(model, adjacentPairs);
        return tokens.Select(r.Forward).ToArray();
    }

    public double[] Forward(int token)
    {
        int d = m.Dim;
        double[] x = Row(m["model.embed_tokens.weight"], token, d);
        int pass = 0;
        for (int l = 0; l < m.Layers; l++)
        {
            for (int r = 0; r < (m.LayerSharing ? 2 : 1); r++, pass++)
            {
                Block(x, $"model.layers.{l}.", pass);
            }
        }

        double[] h = RmsNorm(x, m["model.norm.weight"]);
        // The LS configs say share_embedding (HfFolder), which ties the classifier whatever lm_head holds.
        string head = m.Has("lm_head.weight") && !m.LayerSharing ? "lm_head.weight" : "model.embed_tokens.weight";
        pos++;
        return MatVec(m[head], h, m.Vocab);
    }

    private void Block(double[] x, string p, int pass)
    {
        int hd = m.HeadDim, group = m.Heads / m.KvHeads;
        double[] h = RmsNorm(x, m[p + "input_layernorm.weight"]);
        double[] q = MatVec(m[p + "self_attn.q_proj.weight"], h, m.Dim);
        double[] k = MatVec(m[p + "self_attn.k_proj.weight"], h, m.KvDim);
        double[] v = MatVec(m[p + "self_attn.v_proj.weight"], h, m.KvDim);
        RotateHalf(q, m.Heads);
        RotateHalf(k, m.KvHeads);
        keys[pass].Add(k);
        values[pass].Add(v);

        var att = new double[m.Dim];
        int n = keys[pass].Count;
        for (int head = 0; head < m.Heads; head++)
        {
            int kvh = head / group;
            var scores = new double[n];
            for (int t = 0; t < n; t++)
            {
                double s = 0;
                for (int i = 0; i < hd; i++)
                {
                    s += q[(head * hd) + i] * keys[pass][t][(kvh * hd) + i];
                }

                scores[t] = s / Math.Sqrt(hd);
            }

            double max = scores.Max(), sum = 0;
            for (int t = 0; t < n; t++)
            {
                scores[t] = Math.Exp(scores[t] - max);
                sum += scores[t];
            }

            for (int t = 0; t < n; t++)
            {
                for (int i = 0; i < hd; i++)
                {
                    att[(head * hd) + i] += scores[t] / sum * values[pass][t][(kvh * hd) + i];
                }
            }
        }

        Add(x, MatVec(m[p + "self_attn.o_proj.weight"], att, m.Dim));
        h = RmsNorm(x, m[p + "post_attention_layernorm.weight"]);
        double[] gate = MatVec(m[p + "mlp.gate_proj.weight"], h, m.Ffn);
        double[] up = MatVec(m[p + "mlp.up_proj.weight"], h, m.Ffn);
        for (int i = 0; i < m.Ffn; i++)
        {
            gate[i] = gate[i] / (1 + Math.Exp(-gate[i])) * up[i];
        }

        Add(x, MatVec(m[p + "mlp.down_proj.weight"], gate, m.Dim));
    }

    /// <summary>HF's apply_rotary_pos_emb: x·cos + rotate_half(x)·sin, rotate_half(x) = [-x2, x1].</summary>
    private void RotateHalf(double[] x, int heads)
    {
        int hd = m.HeadDim, half = hd / 2;
        for (int h = 0; h < heads; h++)
        {
            for (int j = 0; j < half; j++)
            {
                double angle = pos * Math.Pow(m.Theta, -2.0 * j / hd);
                double c = Math.Cos(angle), s = Math.Sin(angle);
                int ia = (h * hd) + (adjacentPairs ? 2 * j : j), ib = adjacentPairs ? ia + 1 : ia + half;
                double a = x[ia], b = x[ib];
                x[ia] = (a * c) - (b * s);
                x[ib] = (b * c) + (a * s);
            }
        }
    }

    private double[] RmsNorm(double[] x, float[] w)
    {
        double ms = x.Sum(v => v * v) / x.Length;
        double scale = 1 / Math.Sqrt(ms + m.Eps);
        return x.Select((v, i) => v * scale * w[i]).ToArray();
    }

    private static double[] MatVec(float[] w, double[] x, int rows)
    {
        var y = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double s = 0;
            for (int i = 0; i < x.Length; i++)
            {
                s += w[(r * x.Length) + i] * x[i];
            }

            y[r] = s;
        }

        return y;
    }

    private static double[] Row(float[] w, int row, int len) => w.AsSpan(row * len, len).ToArray().Select(v => (double)v).ToArray();

    private static void Add(double[] x, double[] y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            x[i] += y[i];
        }
    }
}
