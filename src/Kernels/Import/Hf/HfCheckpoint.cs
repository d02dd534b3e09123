using System.Text.Json;

namespace EdgeLlm.Kernels.Import.Hf;

/// <summary>
/// A Hugging Face model folder: <c>config.json</c>, <c>tokenizer.model</c>, and the weights in one of
/// <c>model.safetensors</c>, <c>model.safetensors.index.json</c> (+ shards), <c>pytorch_model.bin</c> or
/// <c>pytorch_model.bin.index.json</c> (+ shards). Opening reads the config and the tensor index of every weight
/// file (headers and pickles only); tensor data is read on demand. Dispose closes the weight files.
/// </summary>
public sealed class HfCheckpoint : IDisposable
{
    private readonly List<IDisposable> _open;

    private HfCheckpoint(string dir, HfConfig config, string tokenizerPath, string weightsDescription, IReadOnlyDictionary<string, HfTensor> tensors, List<IDisposable> open)
    {
        Directory = dir;
        Config = config;
        TokenizerPath = tokenizerPath;
        WeightsDescription = weightsDescription;
        Tensors = tensors;
        _open = open;
    }

    public string Directory { get; }

    public HfConfig Config { get; }

    public string TokenizerPath { get; }

    /// <summary>Which weight files were found, e.g. "pytorch_model.bin" or "model.safetensors.index.json (2 shards)".</summary>
    public string WeightsDescription { get; }

    /// <summary>Every tensor of the checkpoint by its Hugging Face name.</summary>
    public IReadOnlyDictionary<string, HfTensor> Tensors { get; }

    public static HfCheckpoint Open(string dir)
    {
        if (!System.IO.Directory.Exists(dir))
        {
            throw new DirectoryNotFoundException($"{dir}: no such folder");
        }

        string configPath = System.IO.Path.Combine(dir, "config.json");
        if (!File.Exists(configPath))
        {
            throw new FileNotFoundException($"{dir}: config.json is missing (not a Hugging Face model folder?)", configPath);
        }

        var config = HfConfig.Read(configPath);
        string tokenizerPath = System.IO.Path.Combine(dir, "tokenizer.model");
        if (!File.Exists(tokenizerPath))
        {
            throw new FileNotFoundException($"{dir}: tokenizer.model (the SentencePiece model) is missing", tokenizerPath);
        }

        var open = new List<IDisposable>();
        try
        {
            var (description, files) = FindWeights(dir);
            var tensors = new Dictionary<string, HfTensor>(StringComparer.Ordinal);
            foreach (var (file, expected) in files)
            {
                IReadOnlyList<HfTensor> list;
                if (file.EndsWith(".safetensors", StringComparison.Ordinal))
                {
                    list = SafetensorsFile.ReadTensors(file);
                }
                else
                {
                    var zip = TorchZipCheckpoint.Open(file);
                    open.Add(zip);
                    list = zip.Tensors;
                }

                foreach (var t in list)
                {
                    if (!tensors.TryAdd(t.Name, t))
                    {
                        throw new InvalidDataException($"tensor '{t.Name}' is in both {tensors[t.Name].File} and {file}");
                    }
                }

                var inFile = list.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
                foreach (string name in expected)
                {
                    if (!inFile.Contains(name))
                    {
                        throw new InvalidDataException($"{file}: tensor '{name}' is missing (the index file lists it there)");
                    }
                }
            }

            return new HfCheckpoint(dir, config, tokenizerPath, description, tensors, open);
        }
        catch
        {
            open.ForEach(d => d.Dispose());
            throw;
        }
    }

    /// <summary>The weight files and, for sharded checkpoints, the tensors the index puts in each.</summary>
    private static (string Description, List<(string File, List<string> Expected)> Files) FindWeights(string dir)
    {
        foreach (var (single, index) in new[] { ("model.safetensors", "model.safetensors.index.json"), ("pytorch_model.bin", "pytorch_model.bin.index.json") })
        {
            string singlePath = System.IO.Path.Combine(dir, single);
            if (File.Exists(singlePath))
            {
                return (single, [(singlePath, [])]);
            }

            string indexPath = System.IO.Path.Combine(dir, index);
            if (File.Exists(indexPath))
            {
                var shards = ReadIndex(indexPath);
                return ($"{index} ({shards.Count} shards)", shards);
            }
        }

        throw new FileNotFoundException($"{dir}: no weights found (model.safetensors, model.safetensors.index.json, pytorch_model.bin or pytorch_model.bin.index.json)");
    }

    private static List<(string File, List<string> Expected)> ReadIndex(string indexPath)
    {
        string dir = System.IO.Path.GetDirectoryName(indexPath)!;
        var byFile = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(indexPath));
            if (!doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{indexPath}: no 'weight_map' object");
            }

            foreach (var p in map.EnumerateObject())
            {
                string shard = p.Value.GetString() ?? throw new InvalidDataException($"{indexPath}: '{p.Name}' maps to no file");
                if (shard.Contains('/') || shard.Contains('\\') || shard is "." or "..")
                {
                    throw new InvalidDataException($"{indexPath}: shard name '{shard}' must be a plain file name");
                }

                string file = System.IO.Path.Combine(dir, shard);
                if (!byFile.TryGetValue(file, out var names))
                {
                    byFile[file] = names = [];
                }

                names.Add(p.Name);
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{indexPath}: not valid JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataException($"{indexPath}: weight_map values must be file names: {e.Message}", e);
        }

        foreach (string file in byFile.Keys)
        {
            if (!File.Exists(file))
            {
                throw new FileNotFoundException($"{indexPath}: shard {System.IO.Path.GetFileName(file)} is missing", file);
            }
        }

        return byFile.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, kv.Value)).ToList();
    }

    public void Dispose()
    {
        _open.ForEach(d => d.Dispose());
        _open.Clear();
    }
}
