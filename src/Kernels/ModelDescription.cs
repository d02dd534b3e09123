using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Model;
using EdgeLlm.Kernels.Quant;

namespace EdgeLlm.Kernels;

/// <summary>What a loaded <see cref="LanguageModel"/> is and what one step of it costs (for <c>info</c>, <c>bench</c> and logs).</summary>
public sealed record ModelDescription
{
    /// <summary>general.name, else the file name.</summary>
    public required string Name { get; init; }

    /// <summary>The model's shape and hyperparameters as read from the file.</summary>
    public required ModelConfig Config { get; init; }

    public required string FilePath { get; init; }

    public required long FileBytes { get; init; }

    public required uint GgufVersion { get; init; }

    /// <summary>Elements of every tensor in the file.</summary>
    public required long Parameters { get; init; }

    /// <summary>Bytes of every tensor in the file.</summary>
    public required long TensorBytes { get; init; }

    /// <summary>Tensors per type, most bytes first.</summary>
    public required IReadOnlyList<TensorTypeCount> TensorTypes { get; init; }

    /// <summary>The type most of the weight-matrix bytes have, e.g. Q8_0.</summary>
    public required GgmlType WeightType { get; init; }

    /// <summary>Whether the classifier is the token embedding (no output.weight in the file).</summary>
    public required bool TiedOutput { get; init; }

    public required KernelPath KernelPath { get; init; }

    /// <summary>A one-line description of <see cref="KernelPath"/>.</summary>
    public required string KernelDescription { get; init; }

    /// <summary>Whether the matrix × vector kernels are those for weights that stream from memory (<see cref="ModelLoadOptions.StreamingWeights"/>).</summary>
    public required bool StreamsWeights { get; init; }

    public required int Threads { get; init; }

    /// <summary>Tokens the KV cache holds.</summary>
    public required int ContextLength { get; init; }

    /// <summary>The KV cache's storage (Auto resolved).</summary>
    public required KvCacheType KvCacheType { get; init; }

    /// <summary>Bytes of the whole KV cache.</summary>
    public required long KvCacheBytes { get; init; }

    /// <summary>Bytes of weights one decoded token reads: every matrix of every executed block, the classifier, one embedding row, the norms.</summary>
    public required long WeightBytesPerToken { get; init; }

    /// <summary>KV cache bytes of one position (all executed blocks, keys and values): what attention reads per position attended.</summary>
    public required double KvBytesPerPosition { get; init; }

    internal static ModelDescription Create(GgufFile file, ModelWeights w, Transformer t, int threads)
    {
        ModelConfig c = t.Config;
        long perBlock = 0;
        foreach (BlockWeights b in w.Blocks)
        {
            perBlock += b.Wq.TotalBytes + b.Wk.TotalBytes + b.Wv.TotalBytes + b.Wo.TotalBytes
                      + b.Gate.TotalBytes + b.Up.TotalBytes + b.Down.TotalBytes
                      + (sizeof(float) * (b.AttnNorm.Length + b.FfnNorm.Length));
        }

        return new ModelDescription
        {
            Name = c.Name,
            Config = c,
            FilePath = file.FilePath,
            FileBytes = file.FileLength,
            GgufVersion = file.Version,
            Parameters = file.Tensors.Sum(x => x.ElementCount),
            TensorBytes = file.Tensors.Sum(x => x.ByteSize),
            TensorTypes = file.Tensors.GroupBy(x => x.Type)
                .Select(g => new TensorTypeCount(g.Key, g.Count(), g.Sum(x => x.ByteSize)))
                .OrderByDescending(x => x.Bytes).ToArray(),
            WeightType = file.Tensors.Where(x => x.Shape.Length == 2).GroupBy(x => x.Type)
                .OrderByDescending(g => g.Sum(x => x.ByteSize)).Select(g => g.Key).FirstOrDefault(GgmlType.F32),
            TiedOutput = w.TiedOutput,
            KernelPath = t.Kernels.Path,
            KernelDescription = KernelSelector.Describe(t.Kernels.Path),
            StreamsWeights = t.Kernels.StreamsWeights,
            Threads = threads,
            ContextLength = t.ContextLength,
            KvCacheType = t.Cache.Type,
            KvCacheBytes = t.Cache.Bytes,
            WeightBytesPerToken = (perBlock * c.LayerRepeats) + w.Output.TotalBytes + w.Embedding.RowBytes + (sizeof(float) * w.OutputNorm.Length),
            KvBytesPerPosition = (double)t.Cache.Bytes / t.Cache.ContextLength,
        };
    }
}
