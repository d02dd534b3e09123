using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Model;
using EdgeLlm.Kernels.Tokenization;

namespace EdgeLlm.Kernels.Import;

/// <summary>
/// Writes a llama-architecture GGUF that llama.cpp loads: its metadata keys, our tokenizer, and weights
/// encoded at a target type. Tensor data is produced lazily at write time, one tensor in memory at a time.
/// Type rule: 1-D tensors (norms) stay F32; matrices take the target type when their rows are whole blocks,
/// else F32 (a 172-wide row cannot be Q8_0); with a Q4_0 target the classifier (output, or the tied embedding)
/// stays Q8_0, since its error shows directly in the logits. An interleaved target (Q8_0_R8, Q4_0_R8) applies the same
/// rule to its plain type and then writes every quantized matrix whose row count is a multiple of eight in the
/// interleaved layout (docs/interleaved.md); such a file is edgellm's own, llama.cpp refuses it.
/// </summary>
public sealed class LlamaGgufBuilder
{
    private readonly GgufWriter _writer = new();
    private readonly GgmlType _target;
    private readonly bool _interleave;

    public LlamaGgufBuilder(ModelConfig config, LlamaTokenizer tokenizer, GgmlType target, bool tiedOutput)
    {
        if (target is not (GgmlType.F32 or GgmlType.F16 or GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q8_0_R8 or GgmlType.Q4_0_R8))
        {
            throw new ArgumentException($"cannot write models of type {target} (f32, f16, q8_0, q4_0, q8_0_r8, q4_0_r8)");
        }

        _interleave = GgmlTypeInfo.IsInterleaved(target);
        target = GgmlTypeInfo.Plain(target);
        _target = target;
        TiedOutput = tiedOutput;
        _writer.AddString("general.architecture", "llama");
        _writer.AddString("general.name", config.Name);
        _writer.AddUInt32("general.file_type", FileType(target));
        if (target is GgmlType.Q8_0 or GgmlType.Q4_0)
        {
            _writer.AddUInt32("general.quantization_version", 2);
        }

        _writer.AddUInt32("llama.context_length", (uint)config.ContextLength);
        _writer.AddUInt32("llama.embedding_length", (uint)config.Dim);
        _writer.AddUInt32("llama.block_count", (uint)config.Layers);
        _writer.AddUInt32("llama.feed_forward_length", (uint)config.HiddenDim);
        _writer.AddUInt32("llama.rope.dimension_count", (uint)config.RopeDims);
        _writer.AddUInt32("llama.attention.head_count", (uint)config.Heads);
        _writer.AddUInt32("llama.attention.head_count_kv", (uint)config.KvHeads);
        _writer.AddFloat32("llama.attention.layer_norm_rms_epsilon", config.RmsEps);
        _writer.AddFloat32("llama.rope.freq_base", config.RopeTheta);
        _writer.AddUInt32("llama.vocab_size", (uint)config.VocabSize);
        if (config.LayerRepeats != 1)
        {
            _writer.AddUInt32(ModelConfig.LayerRepeatsKey, (uint)config.LayerRepeats);
        }

        GgufVocabulary.Write(_writer, tokenizer);
    }

    public bool TiedOutput { get; }

    /// <summary>Adds a weight given in ggml order (shape[0] is the row length); <paramref name="load"/> runs at write time.</summary>
    public void AddWeight(string name, long[] shape, Func<float[]> load)
    {
        GgmlType type = TypeFor(name, shape);
        long rowLength = shape[0];
        _writer.AddTensor(name, type, shape, stream =>
        {
            float[] data = load();
            long expected = shape.Aggregate(1L, (a, b) => a * b);
            if (data.Length != expected)
            {
                throw new InvalidDataException($"tensor '{name}' has {data.Length} values, its shape [{string.Join(", ", shape)}] needs {expected}");
            }

            TensorEncoder.Write(stream, type, data, (int)rowLength);
        });
    }

    /// <summary>The type a tensor is written as (see the class comment).</summary>
    public GgmlType TypeFor(string name, long[] shape)
    {
        if (shape.Length == 1 || _target == GgmlType.F32)
        {
            return GgmlType.F32;
        }

        bool classifier = name == "output.weight" || (TiedOutput && name == "token_embd.weight");
        GgmlType t = _target == GgmlType.Q4_0 && classifier ? GgmlType.Q8_0 : _target;
        if (shape[0] % GgmlTypeInfo.BlockSize(t) != 0)
        {
            return GgmlType.F32;
        }

        bool interleave = _interleave && t is (GgmlType.Q8_0 or GgmlType.Q4_0) && shape.Length == 2 && shape[1] % GgmlTypeInfo.InterleavedRows == 0;
        return interleave ? GgmlTypeInfo.Interleaved(t) : t;
    }

    public void WriteTo(string path) => _writer.WriteTo(path);

    /// <summary>llama.cpp's LLAMA_FTYPE numbers for general.file_type.</summary>
    private static uint FileType(GgmlType t) => t switch
    {
        GgmlType.F32 => 0,
        GgmlType.F16 => 1,
        GgmlType.Q4_0 => 2,
        GgmlType.Q8_0 => 7,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };
}
