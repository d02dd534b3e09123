using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace EdgeLlm.EdgeRuntime.Hub;

/// <summary>
/// Downloads one file into <c>FINAL.part</c> with HTTP Range resume and bounded retries with backoff, checks size and
/// hash against the hub's listing, then renames it to FINAL. A file that fails its check is deleted, never renamed;
/// a transfer that gives up keeps its <c>.part</c> so the next run resumes it.
/// </summary>
public sealed class FileDownloader(HubClient hub, DownloadOptions options, TextWriter log)
{
    private sealed class TransientException(string message, Exception? inner = null) : Exception(message, inner);

    public async Task<DownloadOutcome> DownloadAsync(string repo, string commit, HubFile file, string finalPath, CancellationToken ct)
    {
        string name = file.Path;
        string part = finalPath + ".part";
        bool inPlace = options.ProgressInPlace ?? !Console.IsErrorRedirected;

        if (File.Exists(finalPath))
        {
            if (new FileInfo(finalPath).Length == file.Size)
            {
                using var existing = await ContentHash.OfFilePrefixAsync(file, finalPath, file.Size, ct);
                if (existing.Matches(out _))
                {
                    new TransferProgress(log, name, file.Size, file.Size, false).Skipped($"already complete ({existing.Kind} verified)");
                    return DownloadOutcome.AlreadyComplete;
                }
            }
            log.WriteLine($"  {name}: the local copy differs from the hub's; downloading it again");
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(finalPath))!);

        long partLength = File.Exists(part) ? new FileInfo(part).Length : 0;
        if (partLength > file.Size)
        {
            File.Delete(part);
            partLength = 0;
        }
        bool fromOldPart = partLength > 0;
        var outcome = fromOldPart ? DownloadOutcome.Resumed : DownloadOutcome.Downloaded;
        var progress = new TransferProgress(log, name, file.Size, partLength, inPlace);
        var url = hub.ResolveUrl(repo, commit, name);
        ContentHash? hash = null;
        int failuresInARow = 0, attempts = 0;
        try
        {
            while (true)
            {
                long offset = File.Exists(part) ? new FileInfo(part).Length : 0;
                if (hash is null || hash.Count != offset)
                {
                    hash?.Dispose();
                    hash = await ContentHash.OfFilePrefixAsync(file, part, offset, ct);
                }
                if (offset < file.Size)
                {
                    try
                    {
                        attempts++;
                        await FetchAsync(repo, commit, file, url, part, offset, hash, progress, ct);
                    }
                    catch (TransientException e) when (!ct.IsCancellationRequested)
                    {
                        long now = File.Exists(part) ? new FileInfo(part).Length : 0;
                        failuresInARow = now > offset ? 1 : failuresInARow + 1;
                        if (failuresInARow >= options.MaxAttempts || attempts >= options.MaxTotalAttempts)
                            throw new HubException(HubErrorKind.Network,
                                $"{name}: download failed after {attempts} attempts ({e.Message}); {TransferProgress.Bytes(now)} are kept in {part} and the next pull resumes from there", e);
                        var delay = Backoff(failuresInARow);
                        progress.Note(string.Create(CultureInfo.InvariantCulture,
                            $"{e.Message} at {TransferProgress.Bytes(now)}; retrying in {delay.TotalSeconds:0.##} s"));
                        await Task.Delay(delay, ct);
                        continue;
                    }
                    if (hash.Count != file.Size)
                        continue; // cannot happen (a short transfer throws); go round and look at the disk again
                }

                if (!hash.Matches(out string actual))
                {
                    File.Delete(part);
                    if (fromOldPart)
                    {
                        // The .part may have come from another revision or a different failed run: start once from 0.
                        fromOldPart = false;
                        outcome = DownloadOutcome.Downloaded;
                        progress.Note("the partial file left by an earlier run was not of this file; starting it again");
                        continue;
                    }
                    throw new HubException(HubErrorKind.Integrity,
                        $"{name}: {hash.Kind} mismatch (the hub lists {hash.Expected}, the download is {actual}); the download was discarded, run pull again");
                }
                File.Move(part, finalPath, overwrite: true);
                progress.Finish(file.Size, hash.Kind == "size" ? "ok (size checked)" : $"ok ({hash.Kind} verified)");
                return outcome;
            }
        }
        finally
        {
            hash?.Dispose();
        }
    }

    private TimeSpan Backoff(int failures)
    {
        double ms = options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 16));
        return TimeSpan.FromMilliseconds(Math.Min(ms, options.RetryMaxDelay.TotalMilliseconds));
    }

    /// <summary>One GET from <paramref name="offset"/>, appending to the part file and the hash as bytes arrive.</summary>
    private async Task FetchAsync(string repo, string commit, HubFile file, Uri url, string part, long offset,
        ContentHash hash, TransferProgress progress, CancellationToken ct)
    {
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stall.CancelAfter(options.StallTimeout);
        HttpResponseMessage r;
        try
        {
            r = await hub.SendAsync(url, offset > 0 ? new RangeHeaderValue(offset, null) : null, stall.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TransientException(StallMessage());
        }
        catch (Exception e) when (IsNetwork(e) && !ct.IsCancellationRequested)
        {
            throw new TransientException(Reason(e), e);
        }
        using (r)
        {
            switch (r.StatusCode)
            {
                case HttpStatusCode.PartialContent when offset > 0:
                    if (r.Content.Headers.ContentRange?.From != offset)
                    {
                        File.Delete(part);
                        throw new TransientException($"the server answered a different range ({r.Content.Headers.ContentRange}); starting the file again");
                    }
                    break;
                case HttpStatusCode.OK or HttpStatusCode.PartialContent:
                    if (offset > 0)
                    {
                        hash.Reset(); // a server that ignores Range sends the whole file: take it from the start
                        offset = 0;
                    }
                    break;
                case HttpStatusCode.RequestedRangeNotSatisfiable:
                    File.Delete(part);
                    throw new TransientException("the server refused to resume (HTTP 416); starting the file again");
                default:
                    if (HubClient.IsTransient(r.StatusCode))
                        throw new TransientException($"HTTP {(int)r.StatusCode} {r.ReasonPhrase}");
                    throw hub.ErrorFor(r, repo, commit, file.Path);
            }
            long remaining = file.Size - offset;
            if (r.Content.Headers.ContentLength is long length && length != remaining)
                throw new HubException(HubErrorKind.Integrity,
                    $"{file.Path}: the server is sending {length} bytes from offset {offset}, but the hub lists a size of {file.Size}; the partial file is kept in {part}");

            await using var fs = new FileStream(part, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            fs.SetLength(offset);
            fs.Seek(offset, SeekOrigin.Begin);
            Stream body;
            try
            {
                body = await r.Content.ReadAsStreamAsync(stall.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TransientException(StallMessage());
            }
            catch (Exception e) when (IsNetwork(e) && !ct.IsCancellationRequested)
            {
                throw new TransientException(Reason(e), e);
            }
            await using (body)
            {
                var buffer = new byte[1 << 18];
                while (true)
                {
                    int n;
                    try
                    {
                        stall.CancelAfter(options.StallTimeout);
                        n = await body.ReadAsync(buffer, stall.Token);
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        throw new TransientException(StallMessage());
                    }
                    catch (Exception e) when (IsNetwork(e) && !ct.IsCancellationRequested)
                    {
                        throw new TransientException(Reason(e), e);
                    }
                    if (n == 0)
                        break;
                    if (offset + n > file.Size)
                        throw new HubException(HubErrorKind.Integrity,
                            $"{file.Path}: the server sent more than the {file.Size} bytes the hub lists; the partial file is kept in {part}");
                    await fs.WriteAsync(buffer.AsMemory(0, n), ct);
                    hash.Append(buffer.AsSpan(0, n));
                    offset += n;
                    progress.Report(offset);
                }
            }
            if (offset < file.Size)
                throw new TransientException("the connection closed early");
        }
    }

    private string StallMessage() =>
        string.Create(CultureInfo.InvariantCulture, $"no data for {options.StallTimeout.TotalSeconds:0.#} s");

    private static bool IsNetwork(Exception e) => e is HttpRequestException or SocketException || (e is IOException and not HubException);

    private static string Reason(Exception e) => e switch
    {
        HttpRequestException { InnerException: { } inner } h when inner is not HttpRequestException => $"{h.Message} {inner.Message}",
        _ => e.Message,
    };
}
