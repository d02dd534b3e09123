using System.IO.Compression;
using System.Text;
using System.Text.Json;
using EdgeLlm.Kernels.Import.Hf;
using EdgeLlm.Kernels.Tokenization;

namespace EdgeLlm.Kernels.Tests.Import.Hf;

/// <summary>How the classifier appears in a test checkpoint.</summary>
public enum LmHead
{
    /// <summary>No lm_head.weight (MobileLLM's checkpoints).</summary>
    Absent,

    /// <summary>lm_head.weight byte-equal to the embeddings.</summary>
    SameAsEmbeddings,

    /// <summary>A separate classifier.</summary>
    Distinct,
}

/// <summary>A tiny Hugging Face llama / MobileLLM checkpoint: config values and weights in HF layout.</summary>
public sealed class HfModel
{
    public int Dim { get; init; } = 64;
    public int Heads { get; init; } = 4;
    public int KvHeads { get; init; } = 2;
    public int Ffn { get; init; } = 128;
    public int Layers { get; init; } = 2;
    public int Vocab { get; init; } = 512;
    public int Context { get; init; } = 128;
    public double Eps { get; init; } = 1e-5;
    public double Theta { get; init; } = 10000;
    public bool LayerSharing { get; init; }
    public LmHead Head { get; init; } = LmHead.Absent;
    public HfDType DType { get; init; } = HfDType.F32;

    public int HeadDim => Dim / Heads;

    public int KvDim => HeadDim * KvHeads;

    /// <summary>Name → (shape in torch order, values exactly representable in <see cref="DType"/>), in state-dict order.</summary>
    public List<(string Name, long[] Shape, float[] Values)> Tensors { get; } = [];

    public float[] this[string name] => Tensors.First(t => t.Name == name).Values;

    public bool Has(string name) => Tensors.Any(t => t.Name == name);

    /// <summary>Random weights: embeddings ~ N(0, 0.5), matrices ~ N(0, 0.1), norms ~ 1 + N(0, 0.1); the same seed gives the same values.</summary>
    public static HfModel Random(int seed, HfDType dtype, bool layerSharing = false, LmHead head = LmHead.Absent)
    {
        var m = new HfModel { DType = dtype, LayerSharing = layerSharing, Head = head };
        int n = 0;
        void Add(string name, double mean, double std, params long[] shape)
        {
            int count = (int)shape.Aggregate(1L, (a, b) => a * b);
            float[] v = Normal((seed * 1000) + n++, count, mean, std);
            for (int i = 0; i < v.Length; i++)
            {
                v[i] = RoundTo(dtype, v[i]);
            }

            m.Tensors.Add((name, shape, v));
        }

        Add("model.embed_tokens.weight", 0, 0.5, m.Vocab, m.Dim);
        for (int l = 0; l < m.Layers; l++)
        {
            string p = $"model.layers.{l}.";
            Add(p + "self_attn.q_proj.weight", 0, 0.1, m.Dim, m.Dim);
            Add(p + "self_attn.k_proj.weight", 0, 0.1, m.KvDim, m.Dim);
            Add(p + "self_attn.v_proj.weight", 0, 0.1, m.KvDim, m.Dim);
            Add(p + "self_attn.o_proj.weight", 0, 0.1, m.Dim, m.Dim);
            Add(p + "mlp.gate_proj.weight", 0, 0.1, m.Ffn, m.Dim);
            Add(p + "mlp.up_proj.weight", 0, 0.1, m.Ffn, m.Dim);
            Add(p + "mlp.down_proj.weight", 0, 0.1, m.Dim, m.Ffn);
            Add(p + "input_layernorm.weight", 1, 0.1, m.Dim);
            Add(p + "post_attention_layernorm.weight", 1, 0.1, m.Dim);
        }

        Add("model.norm.weight", 1, 0.1, m.Dim);
        if (head == LmHead.Distinct)
        {
            Add("lm_head.weight", 0, 0.5, m.Vocab, m.Dim);
        }
        else if (head == LmHead.SameAsEmbeddings)
        {
            m.Tensors.Add(("lm_head.weight", [m.Vocab, m.Dim], (float[])m["model.embed_tokens.weight"].Clone()));
        }

        return m;
    }

    public static float RoundTo(HfDType dtype, float x) => dtype switch
    {
        HfDType.F32 => x,
        HfDType.F16 => (float)(Half)x,
        HfDType.BF16 => BitConverter.Int32BitsToSingle(Bf16Bits(x) << 16),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    /// <summary>Round to nearest even, as torch's float → bfloat16.</summary>
    public static int Bf16Bits(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        bits += 0x7FFFu + ((bits >> 16) & 1);
        return (int)(bits >> 16);
    }

    public static byte[] Encode(HfDType dtype, ReadOnlySpan<float> values)
    {
        int size = dtype == HfDType.F32 ? 4 : 2;
        byte[] b = new byte[values.Length * size];
        for (int i = 0; i < values.Length; i++)
        {
            switch (dtype)
            {
                case HfDType.F32: BitConverter.TryWriteBytes(b.AsSpan(4 * i), values[i]); break;
                case HfDType.F16: BitConverter.TryWriteBytes(b.AsSpan(2 * i), BitConverter.HalfToUInt16Bits((Half)values[i])); break;
                default: BitConverter.TryWriteBytes(b.AsSpan(2 * i), (ushort)Bf16Bits(values[i])); break;
            }
        }

        return b;
    }

    private static float[] Normal(int seed, int count, double mean, double std)
    {
        var rng = new Random(seed);
        var v = new float[count];
        for (int i = 0; i < count; i++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            v[i] = (float)(mean + (std * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2)));
        }

        return v;
    }
}

/// <summary>Writes <see cref="HfModel"/>s as Hugging Face folders in every weight format the importer reads.</summary>
public static class HfFolder
{
    public const string StorageClassF32 = "FloatStorage";

    private static readonly Lazy<byte[]> TokenizerModel = new(BuildTokenizerModel);
    private static readonly Lazy<string> RootFolder = new(() => Directory.CreateTempSubdirectory("edgellm-hf-").FullName);

    /// <summary>Where every folder and file of these tests goes; <see cref="DeleteAll"/> removes it.</summary>
    public static string Root => RootFolder.Value;

    /// <summary>A fresh path under <see cref="Root"/>.</summary>
    public static string NewPath(string name) => Path.Combine(Root, $"{Guid.NewGuid():N}-{name}");

    public static void DeleteAll()
    {
        if (RootFolder.IsValueCreated && Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }

    public static string StorageClass(HfDType d) => d switch
    {
        HfDType.F32 => "FloatStorage",
        HfDType.F16 => "HalfStorage",
        _ => "BFloat16Storage",
    };

    public static string SafetensorsDType(HfDType d) => d.ToString();

    /// <summary>A new folder with config.json (MobileLLM's official keys) and tokenizer.model; no weights yet.</summary>
    public static string Create(HfModel m, Action<Dictionary<string, object?>>? editConfig = null)
    {
        string dir = Directory.CreateDirectory(NewPath("model")).FullName;
        var config = new Dictionary<string, object?>
        {
            ["architectures"] = new[] { "LlamaForCausalLM" },
            ["attention_bias"] = false,
            ["bos_token_id"] = 1,
            ["eos_token_id"] = 2,
            ["hidden_act"] = "silu",
            ["hidden_size"] = m.Dim,
            ["initializer_range"] = 0.02,
            ["intermediate_size"] = m.Ffn,
            ["max_position_embeddings"] = m.Context,
            ["model_type"] = "llama",
            ["num_attention_heads"] = m.Heads,
            ["num_hidden_layers"] = m.Layers,
            ["num_key_value_heads"] = m.KvHeads,
            ["pretraining_tp"] = 1,
            ["rms_norm_eps"] = m.Eps,
            ["rope_scaling"] = null,
            ["rope_theta"] = m.Theta,
            ["tie_word_embeddings"] = false, // as MobileLLM's configs say, though they ship no lm_head
            ["torch_dtype"] = "float16",
            ["use_cache"] = true,
            ["vocab_size"] = m.Vocab,
        };
        if (m.LayerSharing)
        {
            config["model_type"] = "mobilellm";
            config["share_embedding"] = true;
            config["layer_sharing"] = true;
        }

        editConfig?.Invoke(config);
        File.WriteAllText(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(config));
        File.WriteAllBytes(Path.Combine(dir, "tokenizer.model"), TokenizerModel.Value);
        return dir;
    }

    /// <summary>
    /// Writes <c>pytorch_model.bin</c> (or shards + index) as torch.save does: one storage per tensor, except that the
    /// q and k projections of layer 0 share one storage (k at an offset, as views of a fused qkv would), and a
    /// lm_head equal to the embeddings shares the embeddings' storage (as tied weights are saved).
    /// </summary>
    public static void WriteTorch(string dir, HfModel m, int shards = 1, Func<TorchPickleWriter.TensorView, TorchPickleWriter.TensorView>? editView = null)
    {
        var groups = Split(m, shards);
        var index = new Dictionary<string, string>();
        for (int s = 0; s < groups.Count; s++)
        {
            string file = shards == 1 ? "pytorch_model.bin" : $"pytorch_model-{s + 1:D5}-of-{shards:D5}.bin";
            string prefix = shards == 1 ? "archive" : Path.GetFileNameWithoutExtension(file);
            var views = new List<TorchPickleWriter.TensorView>();
            var storages = new List<(string Key, byte[] Data)>();
            var names = groups[s].Select(t => t.Name).ToHashSet();
            string cls = StorageClass(m.DType);
            foreach (var (name, shape, values) in groups[s])
            {
                index[name] = file;
                long[] stride = Contiguous(shape);
                if (name == "model.layers.0.self_attn.k_proj.weight" && names.Contains("model.layers.0.self_attn.q_proj.weight"))
                {
                    continue; // written with q below
                }

                if (name == "lm_head.weight" && m.Head == LmHead.SameAsEmbeddings && names.Contains("model.embed_tokens.weight"))
                {
                    var e = views.First(v => v.Name == "model.embed_tokens.weight");
                    views.Add(e with { Name = name });
                    continue;
                }

                string key = storages.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (name == "model.layers.0.self_attn.q_proj.weight" && names.Contains("model.layers.0.self_attn.k_proj.weight"))
                {
                    var k = groups[s].First(t => t.Name == "model.layers.0.self_attn.k_proj.weight");
                    float[] fused = [.. values, .. k.Values];
                    storages.Add((key, HfModel.Encode(m.DType, fused)));
                    views.Add(new(name, cls, key, fused.Length, 0, shape, stride));
                    views.Add(new(k.Name, cls, key, fused.Length, values.Length, k.Shape, Contiguous(k.Shape)));
                    continue;
                }

                storages.Add((key, HfModel.Encode(m.DType, values)));
                views.Add(new(name, cls, key, values.Length, 0, shape, stride));
            }

            if (editView is not null)
            {
                views = views.Select(editView).ToList();
            }

            WriteTorchZip(Path.Combine(dir, file), prefix, TorchPickleWriter.StateDict(views), storages);
        }

        if (shards > 1)
        {
            WriteIndex(Path.Combine(dir, "pytorch_model.bin.index.json"), index);
        }
    }

    /// <summary>The zip torch.save writes: PREFIX/data.pkl, PREFIX/byteorder, PREFIX/data/KEY, PREFIX/version, stored uncompressed.</summary>
    public static void WriteTorchZip(string path, string prefix, byte[] pickle, IEnumerable<(string Key, byte[] Data)> storages)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        void Entry(string name, byte[] data)
        {
            using var s = zip.CreateEntry($"{prefix}/{name}", CompressionLevel.NoCompression).Open();
            s.Write(data);
        }

        Entry("data.pkl", pickle);
        Entry("byteorder", Encoding.ASCII.GetBytes("little"));
        foreach (var (key, data) in storages)
        {
            Entry("data/" + key, data);
        }

        Entry("version", Encoding.ASCII.GetBytes("3\n"));
        Entry(".data/serialization_id", Encoding.ASCII.GetBytes("1234567890123456789012345678901234567890"));
    }

    /// <summary>Writes <c>model.safetensors</c> (or shards + index).</summary>
    public static void WriteSafetensors(string dir, HfModel m, int shards = 1, Func<string, string>? dtypeOf = null)
    {
        var groups = Split(m, shards);
        var index = new Dictionary<string, string>();
        for (int s = 0; s < groups.Count; s++)
        {
            string file = shards == 1 ? "model.safetensors" : $"model-{s + 1:D5}-of-{shards:D5}.safetensors";
            var tensors = groups[s].Select(t => (t.Name, t.Shape, dtypeOf?.Invoke(t.Name) ?? SafetensorsDType(m.DType), Data: HfModel.Encode(m.DType, t.Values))).ToList();
            tensors.ForEach(t => index[t.Name] = file);
            WriteSafetensorsFile(Path.Combine(dir, file), tensors);
        }

        if (shards > 1)
        {
            WriteIndex(Path.Combine(dir, "model.safetensors.index.json"), index);
        }
    }

    public static void WriteSafetensorsFile(string path, IEnumerable<(string Name, long[] Shape, string DType, byte[] Data)> tensors)
    {
        var header = new Dictionary<string, object> { ["__metadata__"] = new Dictionary<string, string> { ["format"] = "pt" } };
        var data = new MemoryStream();
        foreach (var (name, shape, dtype, bytes) in tensors)
        {
            header[name] = new Dictionary<string, object> { ["dtype"] = dtype, ["shape"] = shape, ["data_offsets"] = new[] { data.Length, data.Length + bytes.Length } };
            data.Write(bytes);
        }

        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header);
        int pad = (8 - (json.Length % 8)) % 8; // safetensors pads the header with spaces to 8 bytes
        json = [.. json, .. Enumerable.Repeat((byte)' ', pad)];
        using var f = File.Create(path);
        f.Write(BitConverter.GetBytes((ulong)json.Length));
        f.Write(json);
        data.Position = 0;
        data.CopyTo(f);
    }

    public static void Truncate(string path, long keep)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Write);
        f.SetLength(keep);
    }

    private static void WriteIndex(string path, Dictionary<string, string> map) =>
        File.WriteAllText(path, JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = map }));

    private static long[] Contiguous(long[] shape)
    {
        var stride = new long[shape.Length];
        long s = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            stride[d] = s;
            s *= shape[d];
        }

        return stride;
    }

    /// <summary>Splits the tensors into consecutive groups, as HF's sharding does by size.</summary>
    private static List<List<(string Name, long[] Shape, float[] Values)>> Split(HfModel m, int shards)
    {
        int per = (m.Tensors.Count + shards - 1) / shards;
        return Enumerable.Range(0, shards).Select(s => m.Tensors.Skip(s * per).Take(per).ToList()).ToList();
    }

    /// <summary>The real tok512 vocabulary as a SentencePiece BPE ModelProto, as Meta ships tokenizer.model.</summary>
    private static byte[] BuildTokenizerModel()
    {
        var tok = LlamaTokenizer.FromLlama2cFile(TestModels.TokenizerPath);
        var proto = new MemoryStream();
        for (int id = 0; id < tok.VocabSize; id++)
        {
            var piece = new MemoryStream();
            Bytes(piece, 1, Encoding.UTF8.GetBytes(tok.Pieces[id]));
            Tag(piece, 2, 5);
            piece.Write(BitConverter.GetBytes(tok.Scores[id]));
            Varint(piece, 3, (ulong)tok.Types[id]);
            Bytes(proto, 1, piece.ToArray());
        }

        var trainer = new MemoryStream();
        Varint(trainer, 3, 2); // model_type BPE
        Varint(trainer, 40, (ulong)tok.UnknownId);
        Varint(trainer, 41, (ulong)tok.BosId);
        Varint(trainer, 42, (ulong)tok.EosId);
        Bytes(proto, 2, trainer.ToArray());
        var normalizer = new MemoryStream();
        Varint(normalizer, 3, tok.AddSpacePrefix ? 1UL : 0UL);
        Bytes(proto, 3, normalizer.ToArray());
        return proto.ToArray();
    }

    private static void Tag(Stream s, int field, int wire) => RawVarint(s, (ulong)((field << 3) | wire));

    private static void Varint(Stream s, int field, ulong v)
    {
        Tag(s, field, 0);
        RawVarint(s, v);
    }

    private static void Bytes(Stream s, int field, byte[] b)
    {
        Tag(s, field, 2);
        RawVarint(s, (ulong)b.Length);
        s.Write(b);
    }

    private static void RawVarint(Stream s, ulong v)
    {
        while (v >= 0x80)
        {
            s.WriteByte((byte)(v | 0x80));
            v >>= 7;
        }

        s.WriteByte((byte)v);
    }
}
