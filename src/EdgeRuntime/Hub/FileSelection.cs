using System.Text.Json;

namespace EdgeLlm.EdgeRuntime.Hub;

/// <summary>Which files of a repo make a model folder the importer can convert.</summary>
public static class FileSelection
{
    /// <summary>Small files taken when present; config.json is required.</summary>
    public static IReadOnlyList<string> MetadataFiles { get; } =
        ["config.json", "generation_config.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json"];

    /// <summary>Weight layouts in order of preference: safetensors (no pickle) before PyTorch's zip.</summary>
    public static IReadOnlyList<string> WeightEntries { get; } =
        ["model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json"];

    /// <summary>
    /// The metadata files present and the weight entry to use: a single weight file, or an index json whose shards
    /// are found with <see cref="ShardsOf"/> once it is downloaded.
    /// </summary>
    public static (IReadOnlyList<HubFile> Metadata, HubFile Weights) Select(string repo, IReadOnlyList<HubFile> listing)
    {
        var byName = listing.GroupBy(f => f.Path, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        if (!byName.ContainsKey("config.json"))
            throw new HubException(HubErrorKind.FileMissing, $"{repo} has no config.json: not a Hugging Face transformers model");
        var weights = WeightEntries.Select(n => byName.GetValueOrDefault(n)).FirstOrDefault(f => f is not null)
            ?? throw new HubException(HubErrorKind.FileMissing,
                $"{repo} has no weights edgellm can import (model.safetensors or pytorch_model.bin, or either sharded with its index json)");
        var metadata = MetadataFiles.Select(n => byName.GetValueOrDefault(n)).OfType<HubFile>().ToList();
        return (metadata, weights);
    }

    public static bool IsIndex(HubFile weights) => weights.Path.EndsWith(".index.json", StringComparison.Ordinal);

    /// <summary>The shard files an index json names (its <c>weight_map</c> values), each checked against the listing.</summary>
    public static IReadOnlyList<HubFile> ShardsOf(string repo, string indexName, string indexJson, IReadOnlyList<HubFile> listing)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(indexJson);
            if (!doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new HubException(HubErrorKind.Protocol, $"{indexName} of {repo} has no weight_map");
            foreach (var p in map.EnumerateObject())
                if (p.Value.GetString() is { Length: > 0 } n)
                    names.Add(n);
        }
        catch (JsonException e)
        {
            throw new HubException(HubErrorKind.Protocol, $"{indexName} of {repo} is not valid JSON ({e.Message})", e);
        }
        if (names.Count == 0)
            throw new HubException(HubErrorKind.Protocol, $"{indexName} of {repo} names no shard files");
        var byName = listing.ToDictionary(f => f.Path, StringComparer.Ordinal);
        return names.Select(n =>
            !n.Contains('/', StringComparison.Ordinal) && !n.Contains('\\', StringComparison.Ordinal) && byName.TryGetValue(n, out var f)
                ? f
                : throw new HubException(HubErrorKind.FileMissing, $"{indexName} of {repo} names {n}, which is not in the repo")).ToList();
    }
}
