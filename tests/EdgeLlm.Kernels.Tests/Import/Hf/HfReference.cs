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
    private readonly HfModel _m;
    private readonly bool _adjacentPairs;
    private readonly List<double[]>[] _keys;
    private readonly List<double[]>[] _values;
    private int _pos;

    /// <param name="model">The checkpoint.</param>
    /// <param name="adjacentPairs">Rotate pairs (2j, 2j+1) instead, as llama.cpp does: the WRONG convention for these
    /// weights, used only to show the tests would catch a missing permutation.</param>
    public HfReference(HfModel model, bool adjacentPairs = false)
    {
        _m = model;
        this._adjacentPairs = adjacentPairs;
        int passes = _m.Layers * (_m.LayerSharing ? 2 : 1);
        _keys = Enumerable.Range(0, passes).Select(_ => new List<double[]>()).ToArray();
        _values = Enumerable.Range(0, passes).Select(_ => new List<double[]>()).ToArray();
    }

    public static double[][] Logits(HfModel model, IReadOnlyList<int> tokens, bool adjacentPairs = false)
    {
        var r = new HfReference(model, adjacentPairs);
        return tokens.Select(r.Forward).ToArray();
    }

    public double[] Forward(int token)
    {
        int d = _m.Dim;
        double[] x = Row(_m["model.embed_tokens.weight"], token, d);
        int pass = 0;
        for (int l = 0; l < _m.Layers; l++)
        {
            for (int r = 0; r < (_m.LayerSharing ? 2 : 1); r++, pass++)
            {
                Block(x, $"model.layers.{l}.", pass);
            }
        }

        double[] h = RmsNorm(x, _m["model.norm.weight"]);
        // The LS configs say share_embedding (HfFolder), which ties the classifier whatever lm_head holds.
        string head = _m.Has("lm_head.weight") && !_m.LayerSharing ? "lm_head.weight" : "model.embed_tokens.weight";
        _pos++;
        return MatVec(_m[head], h, _m.Vocab);
    }

    private void Block(double[] x, string p, int pass)
    {
        int hd = _m.HeadDim, group = _m.Heads / _m.KvHeads;
        double[] h = RmsNorm(x, _m[p + "input_layernorm.weight"]);
        double[] q = MatVec(_m[p + "self_attn.q_proj.weight"], h, _m.Dim);
        double[] k = MatVec(_m[p + "self_attn.k_proj.weight"], h, _m.KvDim);
        double[] v = MatVec(_m[p + "self_attn.v_proj.weight"], h, _m.KvDim);
        RotateHalf(q, _m.Heads);
        RotateHalf(k, _m.KvHeads);
        _keys[pass].Add(k);
        _values[pass].Add(v);

        var att = new double[_m.Dim];
        int n = _keys[pass].Count;
        for (int head = 0; head < _m.Heads; head++)
        {
            int kvh = head / group;
            var scores = new double[n];
            for (int t = 0; t < n; t++)
            {
                double s = 0;
                for (int i = 0; i < hd; i++)
                {
                    s += q[(head * hd) + i] * _keys[pass][t][(kvh * hd) + i];
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
                    att[(head * hd) + i] += scores[t] / sum * _values[pass][t][(kvh * hd) + i];
                }
            }
        }

        Add(x, MatVec(_m[p + "self_attn.o_proj.weight"], att, _m.Dim));
        h = RmsNorm(x, _m[p + "post_attention_layernorm.weight"]);
        double[] gate = MatVec(_m[p + "mlp.gate_proj.weight"], h, _m.Ffn);
        double[] up = MatVec(_m[p + "mlp.up_proj.weight"], h, _m.Ffn);
        for (int i = 0; i < _m.Ffn; i++)
        {
            gate[i] = gate[i] / (1 + Math.Exp(-gate[i])) * up[i];
        }

        Add(x, MatVec(_m[p + "mlp.down_proj.weight"], gate, _m.Dim));
    }

    /// <summary>HF's apply_rotary_pos_emb: x·cos + rotate_half(x)·sin, rotate_half(x) = [-x2, x1].</summary>
    private void RotateHalf(double[] x, int heads)
    {
        int hd = _m.HeadDim, half = hd / 2;
        for (int h = 0; h < heads; h++)
        {
            for (int j = 0; j < half; j++)
            {
                double angle = _pos * Math.Pow(_m.Theta, -2.0 * j / hd);
                double c = Math.Cos(angle), s = Math.Sin(angle);
                int ia = (h * hd) + (_adjacentPairs ? 2 * j : j), ib = _adjacentPairs ? ia + 1 : ia + half;
                double a = x[ia], b = x[ib];
                x[ia] = (a * c) - (b * s);
                x[ib] = (b * c) + (a * s);
            }
        }
    }

    private double[] RmsNorm(double[] x, float[] w)
    {
        double ms = x.Sum(v => v * v) / x.Length;
        double scale = 1 / Math.Sqrt(ms + _m.Eps);
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
