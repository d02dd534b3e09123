using System.Runtime.InteropServices;
using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Model;
using EdgeLlm.Kernels.Tokenization;

namespace EdgeLlm.Kernels.Import;

/// <summary>
/// A llama2.c legacy checkpoint (run.c's format): 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads,
/// vocab_size — negative when the classifier is stored separately — and seq_len), then fp32 tensors in
/// the order token_embedding, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final, freq_cis_real,
/// freq_cis_imag, [wcls]. Matrices are row-major [out][in], which is ggml's layout; llama2.c rotates
/// adjacent pairs in RoPE as llama.cpp does, so no permutation is needed.
/// </summary>
public sealed class Llama2cCheckpoint
{
    private const int HeaderBytes = 7 * sizeof(int);
    private readonly float[] _data;

    private Llama2cCheckpoint(string path, int dim, int hidden, int layers, int heads, int kvHeads, int vocab, int seqLen, bool shared, float[] data)
    {
        Path = path;
        Dim = dim;
        HiddenDim = hidden;
        Layers = layers;
        Heads = heads;
        KvHeads = kvHeads;
        VocabSize = vocab;
        SeqLen = seqLen;
        SharedClassifier = shared;
        _data = data;
    }

    public string Path { get; }
    public int Dim { get; }
    public int HiddenDim { get; }
    public int Layers { get; }
    public int Heads { get; }
    public int KvHeads { get; }
    public int VocabSize { get; }
    public int SeqLen { get; }
    public bool SharedClassifier { get; }

    public int HeadDim => Dim / Heads;

    public static Llama2cCheckpoint Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < HeaderBytes)
        {
            throw new InvalidDataException($"{path}: {bytes.Length} bytes is too short for a llama2.c checkpoint header");
        }

        var h = MemoryMarshal.Cast<byte, int>(bytes.AsSpan(0, HeaderBytes));
        int dim = h[0], hidden = h[1], layers = h[2], heads = h[3], kvHeads = h[4], vocab = Math.Abs(h[5]), seq = h[6];
        bool shared = h[5] > 0;
        if (dim <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || vocab <= 0 || seq <= 0
            || dim > 1 << 16 || hidden > 1 << 18 || layers > 1024 || vocab > 1 << 20 || seq > 1 << 20
            || dim % heads != 0 || heads % kvHeads != 0 || (dim / heads) % 2 != 0)
        {
            throw new InvalidDataException($"{path}: header [{string.Join(", ", h.ToArray())}] is not a valid llama2.c checkpoint");
        }

        long kvDim = (long)dim / heads * kvHeads;
        long expected = ((long)vocab * dim)
            + ((long)layers * ((2L * dim) + (2L * dim * dim) + (2L * dim * kvDim) + (3L * dim * hidden)))
            + dim + ((long)seq * (dim / heads))
            + (shared ? 0 : (long)vocab * dim);
        long have = (bytes.Length - HeaderBytes) / sizeof(float);
        if (have != expected)
        {
            throw new InvalidDataException($"{path}: holds {have} floats, but its header (dim {dim}, hidden {hidden}, {layers} layers, vocab {vocab}, seq {seq}, {(shared ? "shared" : "separate")} classifier) needs {expected}");
        }

        float[] data = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(HeaderBytes)).ToArray();
        return new Llama2cCheckpoint(path, dim, hidden, layers, heads, kvHeads, vocab, seq, shared, data);
    }

    public ModelConfig ToConfig(string name) => new()
    {
        Architecture = "llama",
        Name = name,
        Dim = Dim,
        Layers = Layers,
        Heads = Heads,
        KvHeads = KvHeads,
        HiddenDim = HiddenDim,
        VocabSize = VocabSize,
        ContextLength = SeqLen,
        HeadDim = HeadDim,
        RopeDims = HeadDim,
        RmsEps = 1e-5f,      // run.c's rmsnorm
        RopeTheta = 10000f,  // run.c's RoPE frequencies
    };

    /// <summary>Converts to a GGUF file that both this engine and llama.cpp load.</summary>
    public void WriteGguf(string output, LlamaTokenizer tokenizer, GgmlType type, string name, TextWriter? progress = null)
    {
        if (tokenizer.VocabSize != VocabSize)
        {
            throw new InvalidDataException($"the tokenizer has {tokenizer.VocabSize} tokens but {Path} has a vocabulary of {VocabSize}");
        }

        var b = new LlamaGgufBuilder(ToConfig(name), tokenizer, type, tiedOutput: SharedClassifier);
        long kvDim = (long)HeadDim * KvHeads;
        long off = 0;

        // Each tensor is a slice of the flat data; per-layer tensors are consecutive slices of a stacked array.
        (long Offset, long Size) Take(long count)
        {
            var r = (off, count);
            off += count;
            return r;
        }

        var embd = Take((long)VocabSize * Dim);
        var rmsAtt = Take((long)Layers * Dim);
        var wq = Take((long)Layers * Dim * Dim);
        var wk = Take((long)Layers * Dim * kvDim);
        var wv = Take((long)Layers * Dim * kvDim);
        var wo = Take((long)Layers * Dim * Dim);
        var rmsFfn = Take((long)Layers * Dim);
        var w1 = Take((long)Layers * Dim * HiddenDim);
        var w2 = Take((long)Layers * Dim * HiddenDim);
        var w3 = Take((long)Layers * Dim * HiddenDim);
        var rmsFinal = Take(Dim);
        Take((long)SeqLen * HeadDim); // freq_cis_real and _imag: RoPE is recomputed, not stored
        var wcls = SharedClassifier ? default : Take((long)VocabSize * Dim);

        void Add(string tensor, (long Offset, long Size) stacked, int layer, int layers, params long[] shape)
        {
            long n = stacked.Size / layers;
            long start = stacked.Offset + (layer * n);
            b.AddWeight(tensor, shape, () => _data.AsSpan((int)start, (int)n).ToArray());
        }

        Add("token_embd.weight", embd, 0, 1, Dim, VocabSize);
        for (int l = 0; l < Layers; l++)
        {
            string p = $"blk.{l}.";
            Add(p + "attn_norm.weight", rmsAtt, l, Layers, Dim);
            Add(p + "attn_q.weight", wq, l, Layers, Dim, Dim);
            Add(p + "attn_k.weight", wk, l, Layers, Dim, kvDim);
            Add(p + "attn_v.weight", wv, l, Layers, Dim, kvDim);
            Add(p + "attn_output.weight", wo, l, Layers, Dim, Dim);
            Add(p + "ffn_norm.weight", rmsFfn, l, Layers, Dim);
            Add(p + "ffn_gate.weight", w1, l, Layers, Dim, HiddenDim);
            Add(p + "ffn_down.weight", w2, l, Layers, HiddenDim, Dim);
            Add(p + "ffn_up.weight", w3, l, Layers, Dim, HiddenDim);
        }

        Add("output_norm.weight", rmsFinal, 0, 1, Dim);
        if (!SharedClassifier)
        {
            Add("output.weight", wcls, 0, 1, Dim, VocabSize);
        }

        progress?.WriteLine($"writing {output} ({type}, {Layers} layers, dim {Dim}, vocab {VocabSize})");
        b.WriteTo(output);
    }
}
