using EdgeLlm.Kernels.Quant;
using EdgeLlm.Kernels.Threading;

namespace EdgeLlm.Kernels.Model;

/// <summary>
/// The llama forward pass, read top to bottom:
/// embedding → per block [RMSNorm → Q,K,V → RoPE → grouped-query attention over the KV cache → output
/// projection → residual → RMSNorm → SwiGLU FFN → residual] → final RMSNorm → logits.
/// One code path runs a batch of consecutive tokens: decoding is a batch of one (<see cref="Forward"/>), prefill a
/// batch of up to <see cref="MaxBatch"/> (<see cref="Prefill"/>), where every weight matrix is multiplied with all the
/// batch's activations at once (int8 matrix × matrix tiles that read each weight block once per batch). Every output
/// of the batched kernels is bit-identical to the single-token kernels', so a prompt prefilled in a batch leaves the
/// same cache and logits as one fed token by token. Matrix products run on fixed-point kernels (activations quantized
/// once per input vector to Q8_0) for Q8_0/Q4_0 weights and on float kernels for F32/F16 weights; Q/K/V and
/// gate/up each go to the worker pool as one dispatch. Every kernel comes from the model's <see cref="KernelTable"/>,
/// chosen once from a <see cref="KernelPath"/>. Nothing is allocated per token. Not thread-safe: one sequence at a time.
/// </summary>
internal sealed unsafe class Transformer
{
    /// <summary>Tokens per prefill batch (activation buffers are sized for it: ~1.6 MB for MobileLLM-125M).</summary>
    public const int MaxBatch = 64;

    private readonly ModelConfig _c;
    private readonly ModelWeights _w;
    private readonly WorkerPool _pool;
    private readonly KernelTable _kt;

    // Activation buffers for MaxBatch tokens (row t of each at t * width), pinned, allocated once.
    private readonly float[] _x;      // residual stream
    private readonly float[] _xb;     // normed input of a matmul
    private readonly float[] _q;      // queries of all heads
    private readonly float[] _k;      // keys of the batch's positions
    private readonly float[] _v;      // values of the batch's positions
    private readonly float[] _att;    // attention output of all heads
    private readonly float[] _proj;   // output of Wo / Down before the residual add
    private readonly float[] _hb;     // FFN gate, then silu(gate) * up
    private readonly float[] _hb2;    // FFN up
    private readonly float[] _logits;
    private readonly float[] _ropeCos; // [MaxBatch][RopeDims / 2]
    private readonly float[] _ropeSin;
    private readonly float[] _scratch; // per pool thread: one KV group's attention scores over the context, then a dequantized row
    private readonly int _scratchStride;
    private readonly Q8Activations _xq;
    private readonly int[] _oneToken = GC.AllocateArray<int>(1, pinned: true);
    private readonly delegate*<KvCacheType, int, float*, int, byte*, byte*, long, int, float, float*, int, float*, float*, void> _attend;

    public Transformer(ModelConfig config, ModelWeights weights, WorkerPool pool, int contextLength, KvCacheType kvCacheType, KernelTable kernels)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(kernels);
        if (contextLength < 1 || contextLength > config.ContextLength)
        {
            throw new ArgumentOutOfRangeException(nameof(contextLength), $"context length must be in [1, {config.ContextLength}], got {contextLength}");
        }

        kvCacheType = ResolveKvCacheType(kvCacheType, config);
        if (kvCacheType == KvCacheType.Q8_0 && config.HeadDim % Q8_0.BlockSize != 0)
        {
            throw new ArgumentException($"a Q8_0 KV cache needs a head size that is a multiple of {Q8_0.BlockSize}; this model's is {config.HeadDim}", nameof(kvCacheType));
        }

        _c = config;
        _w = weights;
        _pool = pool;
        _kt = kernels;
        ContextLength = contextLength;
        Cache = new KvCache(_c.EffectiveLayers, contextLength, _c.KvDim, _c.HeadDim, kvCacheType);
        const int B = MaxBatch;
        _x = Pinned(B * _c.Dim);
        _xb = Pinned(B * _c.Dim);
        _q = Pinned(B * _c.Dim);
        _k = Pinned(B * _c.Dim); // rows at the same stride as _q (one output stride per fused dispatch)
        _v = Pinned(B * _c.Dim);
        _att = Pinned(B * _c.Dim);
        _proj = Pinned(B * _c.Dim);
        _hb = Pinned(B * _c.HiddenDim);
        _hb2 = Pinned(B * _c.HiddenDim);
        _logits = Pinned(_c.VocabSize);
        _ropeCos = Pinned(B * (_c.RopeDims / 2));
        _ropeSin = Pinned(B * (_c.RopeDims / 2));
        // per thread: the scores of every query head of one KV group over the context, then one dequantized row
        int group = _c.Heads / _c.KvHeads;
        _scratchStride = (group * RoundUp(contextLength, 16)) + RoundUp(_c.HeadDim, 16);
        _scratch = Pinned(pool.Threads * _scratchStride);
        _attend = _kt.Attention(_c.HeadDim, group, kvCacheType);
        _xq = new Q8Activations(RoundUp(Math.Max(_c.Dim, _c.HiddenDim), Q8_0.BlockSize), B);
    }

    public ModelConfig Config => _c;

    /// <summary>The kernels every step runs.</summary>
    public KernelTable Kernels => _kt;

    /// <summary>What <see cref="KvCacheType.Auto"/> means for <paramref name="config"/>; other types are returned as given.</summary>
    public static KvCacheType ResolveKvCacheType(KvCacheType type, ModelConfig config) =>
        type != KvCacheType.Auto ? type : config.HeadDim % Q8_0.BlockSize == 0 ? KvCacheType.Q8_0 : KvCacheType.F32;

    public int ContextLength { get; }

    public KvCache Cache { get; }

    /// <summary>The logits buffer (what the last step that computed logits wrote).</summary>
    public ReadOnlySpan<float> LastLogits => _logits;

    /// <summary>
    /// Runs token <paramref name="token"/> at position <paramref name="pos"/> (positions 0..pos-1 must be in the cache).
    /// Returns the logits, or an empty span when <paramref name="computeLogits"/> is false (prompt tokens but the last).
    /// </summary>
    public ReadOnlySpan<float> Forward(int token, int pos, bool computeLogits = true)
    {
        _oneToken[0] = token;
        return Prefill(_oneToken, pos, computeLogits);
    }

    /// <summary>
    /// Runs <paramref name="tokens"/> at positions <paramref name="pos"/>.. in batches of up to <see cref="MaxBatch"/>
    /// (positions before <paramref name="pos"/> must be in the cache) and returns the logits of the last one, or an
    /// empty span when <paramref name="computeLogits"/> is false. Same cache and logits as a <see cref="Forward"/> per token.
    /// </summary>
    public ReadOnlySpan<float> Prefill(scoped ReadOnlySpan<int> tokens, int pos, bool computeLogits = true)
    {
        if (tokens.IsEmpty)
        {
            throw new ArgumentException("no tokens to run", nameof(tokens));
        }

        if (pos < 0 || (long)pos + tokens.Length > ContextLength)
        {
            throw new ArgumentOutOfRangeException(nameof(pos), $"positions {pos}..{pos + tokens.Length - 1} are outside the context of {ContextLength}");
        }

        foreach (int token in tokens)
        {
            if ((uint)token >= (uint)_c.VocabSize)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), $"token {token} is outside the vocabulary of {_c.VocabSize}");
            }
        }

        for (int start = 0; start < tokens.Length; start += MaxBatch)
        {
            int n = Math.Min(MaxBatch, tokens.Length - start);
            RunBatch(tokens.Slice(start, n), pos + start);
        }

        if (!computeLogits)
        {
            return [];
        }

        int last = (tokens.Length - 1) % MaxBatch;
        fixed (float* pxb = _xb, px = _x, pn = _w.OutputNorm, pl = _logits)
        {
            _kt.RmsNorm(pxb, px + (last * _c.Dim), pn, _c.Dim, _c.RmsEps);
            if (IsQuantized(_w.Output))
            {
                Q8Activations.QuantizeRow(_xq.View, 0, pxb, _c.Dim, _kt.QuantizeBlock);
                _xq.SetLength(_c.Dim);
            }

            MatVec.MultiplyFused(_pool, _kt, pxb, _c.Dim, _xq, 1, _c.VocabSize, _w.Output, pl);
        }

        return _logits;
    }

    private void RunBatch(ReadOnlySpan<int> tokens, int pos)
    {
        int n = tokens.Length;
        for (int t = 0; t < n; t++)
        {
            _w.EmbeddingRow(tokens[t], _x.AsSpan(t * _c.Dim, _c.Dim));
            RopeTable(pos + t, t);
        }

        int pass = 0;
        foreach (var block in _w.Blocks)
        {
            // Layer sharing (MobileLLM-LS): the same stored block runs again, with its own cache slots.
            for (int r = 0; r < _c.LayerRepeats; r++, pass++)
            {
                Attention(block, pass, pos, n);
                FeedForward(block, n);
            }
        }
    }

    private void Attention(BlockWeights b, int pass, int pos, int n)
    {
        int dim = _c.Dim, kvDim = _c.KvDim;
        fixed (float* px = _x, pxb = _xb, pq = _q, pk = _k, pv = _v, patt = _att, pproj = _proj, ps = _scratch, pcos = _ropeCos, psin = _ropeSin)
        {
            PrepareRows(_x, null, _xb, b.AttnNorm, dim, n, IsQuantized(b.Wq) || IsQuantized(b.Wk) || IsQuantized(b.Wv)); // once for Q, K and V
            MatVec.MultiplyFused(_pool, _kt, pxb, dim, _xq, n, dim, b.Wq, pq, b.Wk, pk, b.Wv, pv);
            int half = _c.RopeDims / 2;
            for (int t = 0; t < n; t++)
            {
                float* krow = pk + ((long)t * dim);
                float* vt = pv + ((long)t * dim);
                for (int h = 0; h < _c.Heads; h++)
                {
                    Rope(pq + ((long)t * dim) + (h * _c.HeadDim), pcos + (t * half), psin + (t * half), half);
                }

                for (int h = 0; h < _c.KvHeads; h++)
                {
                    Rope(krow + (h * _c.HeadDim), pcos + (t * half), psin + (t * half), half);
                }

                Cache.Store(pass, pos + t, new ReadOnlySpan<float>(krow, kvDim), new ReadOnlySpan<float>(vt, kvDim));
            }

            int group = _c.Heads / _c.KvHeads;
            var args = new AttnArgs
            {
                Attend = _attend,
                Keys = Cache.KeyRows(pass, 0),
                Values = Cache.ValueRows(pass, 0),
                RowBytes = Cache.HeadBytes,
                HeadStride = Cache.HeadStride,
                Type = Cache.Type,
                Q = pq,
                Out = patt,
                Scratch = ps,
                ScratchStride = _scratchStride,
                Pos0 = pos,
                KvHeads = _c.KvHeads,
                HeadDim = _c.HeadDim,
                Group = group,
                Dim = dim,
                Scale = 1f / MathF.Sqrt(_c.HeadDim),
            };
            int items = n * _c.KvHeads;
            long work = (long)n * _c.Heads * (pos + n) * _c.HeadDim;
            int chunk = _pool.Threads == 1 || work < 32_768 ? items : Math.Max(1, items / (_pool.Threads * 4));
            _pool.Run(items, chunk, &AttentionBody, &args);

            PrepareRows(_att, null, null, null, dim, n, IsQuantized(b.Wo));
            MatVec.MultiplyFused(_pool, _kt, patt, dim, _xq, n, dim, b.Wo, pproj);

            _kt.Add(px, pproj, n * dim);
        }
    }

    private void FeedForward(BlockWeights b, int n)
    {
        int dim = _c.Dim, hidden = _c.HiddenDim;
        fixed (float* px = _x, pxb = _xb, ph = _hb, ph2 = _hb2, pproj = _proj)
        {
            PrepareRows(_x, null, _xb, b.FfnNorm, dim, n, IsQuantized(b.Gate) || IsQuantized(b.Up)); // once for gate and up
            MatVec.MultiplyFused(_pool, _kt, pxb, dim, _xq, n, hidden, b.Gate, ph, b.Up, ph2);
            PrepareRows(_hb, _hb2, null, null, hidden, n, IsQuantized(b.Down)); // SwiGLU, then quantized for Down
            MatVec.MultiplyFused(_pool, _kt, ph, hidden, _xq, n, dim, b.Down, pproj);
            _kt.Add(px, pproj, n * dim);
        }
    }

    /// <summary>
    /// All query heads of one KV head of one token per item, on the table's attention kernel, in the scratch memory of
    /// the pool thread running the item.
    /// </summary>
    private static void AttentionBody(void* context, int i0, int i1, int thread)
    {
        var a = (AttnArgs*)context;
        int hd = a->HeadDim, g = a->Group, kvHeads = a->KvHeads;
        float* sc = a->Scratch + ((long)thread * a->ScratchStride);
        int scStride = (a->ScratchStride - RoundUp(hd, 16)) / g;
        float* tmp = sc + (g * scStride);
        long rb = a->RowBytes;
        for (int i = i0; i < i1; i++)
        {
            int t = i / kvHeads, kv = i % kvHeads;
            long rows = kv * a->HeadStride; // the KV head's own run of positions (KvCache's layout)
            long headOffset = ((long)t * a->Dim) + ((long)kv * g * hd);
            a->Attend(a->Type, g, a->Q + headOffset, hd, a->Keys + rows, a->Values + rows, rb, a->Pos0 + t + 1, a->Scale, sc, scStride, a->Out + headOffset, tmp);
        }
    }

    /// <summary>
    /// cos/sin of every rotated pair for position <paramref name="pos"/> into batch row <paramref name="t"/>, shared by
    /// all heads. The angle is built the way ggml builds it (theta *= base^(-2/n) per pair, in float) so our rotation
    /// tracks llama.cpp's.
    /// </summary>
    private void RopeTable(int pos, int t)
    {
        int half = _c.RopeDims / 2;
        float thetaScale = MathF.Pow(_c.RopeTheta, -2f / _c.RopeDims);
        float theta = pos;
        for (int i = 0; i < half; i++)
        {
            _ropeCos[(t * half) + i] = MathF.Cos(theta);
            _ropeSin[(t * half) + i] = MathF.Sin(theta);
            theta *= thetaScale;
        }
    }

    /// <summary>llama.cpp's "normal" RoPE: rotates adjacent pairs (x[2i], x[2i+1]) of the first RopeDims elements.</summary>
    private static void Rope(float* head, float* cos, float* sin, int half)
    {
        for (int i = 0; i < half; i++)
        {
            float x0 = head[2 * i], x1 = head[(2 * i) + 1];
            head[2 * i] = (x0 * cos[i]) - (x1 * sin[i]);
            head[(2 * i) + 1] = (x0 * sin[i]) + (x1 * cos[i]);
        }
    }

    /// <summary>
    /// Per token row t &lt; n of <paramref name="src"/> (<paramref name="width"/> values each): src = silu(src)·up when
    /// <paramref name="up"/> is given; dst = RMSNorm(src)·weight when <paramref name="weight"/> is given; then the row
    /// (dst, else src) quantized into row t of the activation buffer when <paramref name="quantize"/>. Rows are
    /// independent, so a prefill batch spreads them over the worker pool; a single token runs on the caller.
    /// </summary>
    private void PrepareRows(float[] src, float[]? up, float[]? dst, float[]? weight, int width, int n, bool quantize)
    {
        fixed (float* ps = src, pu = up, pd = dst, pw = weight)
        {
            var args = new PrepArgs
            {
                Src = ps,
                Up = pu,
                Dst = pd,
                Weight = pw,
                Eps = _c.RmsEps,
                Width = width,
                Q = _xq.View,
                Quantize = quantize,
                SwiGlu = _kt.SwiGlu,
                RmsNorm = _kt.RmsNorm,
                QuantizeBlock = _kt.QuantizeBlock,
            };
            if (n > 1 && _pool.Threads > 1)
            {
                _pool.Run(n, Math.Max(1, n / (_pool.Threads * 4)), &PrepareBody, &args);
            }
            else
            {
                PrepareBody(&args, 0, n, 0);
            }
        }

        if (quantize)
        {
            _xq.SetLength(width);
        }
    }

    private static void PrepareBody(void* context, int t0, int t1, int thread)
    {
        var a = (PrepArgs*)context;
        int w = a->Width;
        for (int t = t0; t < t1; t++)
        {
            float* row = a->Src + ((long)t * w);
            if (a->Up != null)
            {
                a->SwiGlu(row, a->Up + ((long)t * w), w);
            }

            if (a->Weight != null)
            {
                float* normed = a->Dst + ((long)t * w);
                a->RmsNorm(normed, row, a->Weight, w, a->Eps);
                row = normed;
            }

            if (a->Quantize)
            {
                Q8Activations.QuantizeRow(a->Q, t, row, w, a->QuantizeBlock);
            }
        }
    }

    private struct PrepArgs
    {
        public float* Src;
        public float* Up;
        public float* Dst;
        public float* Weight;
        public float Eps;
        public int Width;
        public Q8RowsView Q;
        public bool Quantize;
        public delegate*<float*, float*, int, void> SwiGlu;
        public delegate*<float*, float*, float*, int, float, void> RmsNorm;
        public delegate*<float*, sbyte*, float*, int*, void> QuantizeBlock;
    }

    private static bool IsQuantized(in WeightMatrix m) => Gguf.GgmlTypeInfo.IsQuantized(m.Type);

    private static int RoundUp(int n, int multiple) => (n + multiple - 1) / multiple * multiple;

    private static float[] Pinned(int n) => GC.AllocateArray<float>(n, pinned: true);

    private struct AttnArgs
    {
        public delegate*<KvCacheType, int, float*, int, byte*, byte*, long, int, float, float*, int, float*, float*, void> Attend;
        public byte* Keys;
        public byte* Values;
        public long RowBytes;
        public long HeadStride;
        public KvCacheType Type;
        public float* Q;
        public float* Out;
        public float* Scratch;
        public int ScratchStride;
        public int Pos0;
        public int KvHeads;
        public int HeadDim;
        public int Group;
        public int Dim;
        public float Scale;
    }
}
