using System.Diagnostics;
using EdgeLlm.Kernels.Gguf;

namespace EdgeLlm.EdgeRuntime.Hub;

/// <summary>
/// <c>edgellm pull</c>: lists the repo at a revision (pinned to its commit), downloads config, tokenizer and weights
/// into a model folder, then converts the folder to <c>DIR/NAME-TYPE.gguf</c> through <see cref="IModelConverter"/>.
/// </summary>
public sealed class ModelPuller(IModelConverter converter, TextWriter log, DownloadOptions? options = null, HttpMessageHandler? handler = null)
{
    private readonly DownloadOptions _options = options ?? new DownloadOptions();

    public async Task<PullResult> PullAsync(PullRequest request, CancellationToken ct = default)
    {
        var (repo, localName) = KnownModels.Resolve(request.Model);
        string dir = Path.GetFullPath(request.OutputDir);
        using var hub = new HubClient(request.Endpoint, request.Token, handler);
        var clock = Stopwatch.StartNew();

        string commit = await hub.GetCommitAsync(repo, request.Revision, ct);
        var listing = await hub.ListFilesAsync(repo, commit, ct);
        var (metadata, weights) = FileSelection.Select(repo, listing);
        log.WriteLine($"edgellm: {repo} @ {commit} ({request.Revision}) → {dir}");

        Directory.CreateDirectory(dir);
        var downloader = new FileDownloader(hub, _options, log);
        var pulled = new List<PulledFile>();
        async Task Get(HubFile f)
        {
            var outcome = await downloader.DownloadAsync(repo, commit, f, Path.Combine(dir, f.Path), ct);
            pulled.Add(new PulledFile(f.Path, f.Size, outcome));
        }

        foreach (var f in metadata)
            await Get(f);
        if (!metadata.Any(f => f.Path == "tokenizer.model"))
            log.WriteLine($"edgellm: warning: {repo} has no tokenizer.model; the importer needs a SentencePiece tokenizer");
        await Get(weights);
        if (FileSelection.IsIndex(weights))
        {
            string indexJson = await File.ReadAllTextAsync(Path.Combine(dir, weights.Path), ct);
            foreach (var shard in FileSelection.ShardsOf(repo, weights.Path, indexJson, listing))
                await Get(shard);
        }
        long total = pulled.Sum(p => p.Size);
        log.WriteLine($"edgellm: {pulled.Count} files, {TransferProgress.Bytes(total)} in {dir} ({clock.Elapsed.TotalSeconds:0.0} s)");

        if (!request.Convert)
            return new PullResult(repo, commit, dir, pulled, null);

        string typeName = request.Type.ToString().ToLowerInvariant();
        string gguf = Path.Combine(dir, $"{localName}-{typeName}.gguf");
        string tmp = gguf + ".part";
        log.WriteLine($"edgellm: converting {dir} → {gguf}");
        try
        {
            File.Delete(tmp);
            converter.Convert(dir, tmp, request.Type, log);
            File.Move(tmp, gguf, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { } // keep the converter's error, not a cleanup error
            throw;
        }
        log.WriteLine($"edgellm: wrote {gguf} ({new FileInfo(gguf).Length:N0} bytes)");
        return new PullResult(repo, commit, dir, pulled, gguf);
    }
}
