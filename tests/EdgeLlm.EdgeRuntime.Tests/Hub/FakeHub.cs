using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace EdgeLlm.EdgeRuntime.Tests.Hub;

/// <summary>
/// A small HTTP/1.1 server on 127.0.0.1 with the hub's shape: <c>/api/models/{repo}/revision/{rev}</c>,
/// <c>/api/models/{repo}/tree/{rev}</c> (with <c>lfs.oid</c>, <c>Link</c> pagination), <c>/{repo}/resolve/{rev}/{file}</c>
/// (LFS files redirect to a CDN path, possibly on another server), Range requests, and faults on demand:
/// drop the connection once at an offset, corrupt a byte, ignore Range, answer 503.
/// One request per connection (Connection: close).
/// </summary>
public sealed class FakeHub : IDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly FakeHub? _cdn;
    private readonly ConcurrentDictionary<string, FakeRepo> _repos;
    private readonly ConcurrentQueue<SeenRequest> _seen;

    public Uri Endpoint { get; }
    public int Port { get; }

    /// <summary>File path → absolute offset at which the next transfer of it is cut (once).</summary>
    public ConcurrentDictionary<string, long> DropOnceAt { get; } = new();

    /// <summary>File path → offset of a byte served flipped (every time).</summary>
    public ConcurrentDictionary<string, long> CorruptAt { get; } = new();

    /// <summary>File path → absolute offset at which the next transfer of it stops sending but keeps the connection open (once).</summary>
    public ConcurrentDictionary<string, long> HangOnceAt { get; } = new();

    /// <summary>Answer any Authorization header with the hub's 401 for an invalid token.</summary>
    public bool RejectTokens { get; set; }

    /// <summary>Serve 200 with the whole file even when a Range is asked for.</summary>
    public bool IgnoreRange { get; set; }

    /// <summary>Answer every download with 503.</summary>
    public bool Unavailable { get; set; }

    public FakeHub(FakeHub? cdn = null)
    {
        _cdn = cdn;
        _repos = cdn?._repos ?? new(StringComparer.Ordinal);
        _seen = cdn?._seen ?? new();
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        Endpoint = new Uri($"http://127.0.0.1:{Port}");
        _loop = Task.Run(AcceptLoop);
    }

    public FakeRepo AddRepo(string id)
    {
        var repo = new FakeRepo(id);
        _repos[id] = repo;
        return repo;
    }

    public IReadOnlyList<SeenRequest> Seen => [.. _seen];

    /// <summary>Requests that fetched file content (resolve or CDN) of a file.</summary>
    public IReadOnlyList<SeenRequest> Downloads(string file) =>
        [.. _seen.Where(r => r.Path.Contains("/resolve/", StringComparison.Ordinal) && r.Path.EndsWith("/" + file, StringComparison.Ordinal)
                          || r.Path.StartsWith("/cdn/", StringComparison.Ordinal) && r.Path.EndsWith("/" + file, StringComparison.Ordinal))];

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            _ = Task.Run(async () =>
            {
                using (client)
                {
                    try
                    {
                        await Handle(client.GetStream());
                    }
                    catch (IOException)
                    {
                        // the client went away
                    }
                }
            });
        }
    }

    private async Task Handle(NetworkStream stream)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one) == 0)
                return;
            head.Append((char)one[0]);
        }
        var lines = head.ToString().Split("\r\n");
        string target = lines[0].Split(' ')[1];
        var headers = lines.Skip(1).Where(l => l.Contains(':', StringComparison.Ordinal))
            .ToDictionary(l => l[..l.IndexOf(':', StringComparison.Ordinal)].Trim(), l => l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim(),
                StringComparer.OrdinalIgnoreCase);
        string path = Uri.UnescapeDataString(target.Split('?')[0]);
        string query = target.Contains('?', StringComparison.Ordinal) ? target[(target.IndexOf('?', StringComparison.Ordinal) + 1)..] : "";
        _seen.Enqueue(new SeenRequest(Port, path, headers.GetValueOrDefault("Range"), headers.GetValueOrDefault("Authorization")));
        if (RejectTokens && headers.ContainsKey("Authorization"))
        {
            await Error(stream, 401, null, "Invalid credentials in Authorization header");
            return;
        }
        await Route(stream, path, query, headers);
    }

    private async Task Route(NetworkStream s, string path, string query, Dictionary<string, string> headers)
    {
        var seg = path.Trim('/').Split('/');
        if (seg is ["api", "models", var owner, var name, "revision", var rev])
        {
            if (!_repos.TryGetValue($"{owner}/{name}", out var repo))
            {
                await Error(s, 404, "RepoNotFound", "Repository not found");
                return;
            }
            if (rev != "main" && rev != repo.Commit)
            {
                await Error(s, 404, "RevisionNotFound", "Invalid rev id: " + rev);
                return;
            }
            await Json(s, new Dictionary<string, object> { ["id"] = repo.Id, ["sha"] = repo.Commit, ["gated"] = repo.Gated ? "manual" : false });
            return;
        }
        if (seg is ["api", "models", var o2, var n2, "tree", var rev2])
        {
            if (!_repos.TryGetValue($"{o2}/{n2}", out var repo) || rev2 != repo.Commit && rev2 != "main")
            {
                await Error(s, 404, "RepoNotFound", "Repository not found");
                return;
            }
            var all = repo.Files.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => (object)TreeEntry(repo, f.Key, f.Value)).ToList();
            int start = query.StartsWith("cursor=", StringComparison.Ordinal) ? int.Parse(query[7..], CultureInfo.InvariantCulture) : 0;
            int count = repo.TreePageSize > 0 ? repo.TreePageSize : all.Count;
            string? link = start + count < all.Count
                ? $"<{Endpoint}api/models/{repo.Id}/tree/{rev2}?cursor={start + count}>; rel=\"next\""
                : null;
            await Json(s, all.Skip(start).Take(count).ToList(), link is null ? [] : [("Link", link)]);
            return;
        }
        if (seg.Length >= 5 && seg[2] == "resolve")
        {
            string repoId = $"{seg[0]}/{seg[1]}";
            string file = string.Join('/', seg[4..]);
            if (!_repos.TryGetValue(repoId, out var repo))
            {
                await Error(s, 404, "RepoNotFound", "Repository not found");
                return;
            }
            if (repo.Gated)
            {
                string? auth = headers.GetValueOrDefault("Authorization");
                if (auth is null)
                {
                    await Error(s, 401, "GatedRepo", $"Access to model {repo.Id} is restricted. You must have access to it and be authenticated to access it.");
                    return;
                }
                if (auth != $"Bearer {repo.AcceptedToken}")
                {
                    await Error(s, 403, "GatedRepo", $"Access to model {repo.Id} is restricted and you are not in the authorized list.");
                    return;
                }
            }
            if (!repo.Files.TryGetValue(file, out var content))
            {
                await Error(s, 404, "EntryNotFound", "Entry not found");
                return;
            }
            if (Unavailable)
            {
                await Error(s, 503, null, "Service Unavailable");
                return;
            }
            if (repo.Lfs.Contains(file))
            {
                var cdn = _cdn?.Endpoint ?? Endpoint;
                await Respond(s, 302, "Found", ReadOnlyMemory<byte>.Empty, [
                    ("Location", $"{cdn.AbsoluteUri.TrimEnd('/')}/cdn/{FakeRepo.Sha256(content)}/{file}"),
                    ("X-Repo-Commit", repo.Commit), ("X-Linked-Size", content.Length.ToString(CultureInfo.InvariantCulture)),
                    ("X-Linked-Etag", $"\"{FakeRepo.Sha256(content)}\""), ("ETag", $"\"{FakeRepo.GitOid(content)}\"")]);
                return;
            }
            await Serve(s, file, content, headers.GetValueOrDefault("Range"), [("X-Repo-Commit", repo.Commit), ("ETag", $"\"{FakeRepo.GitOid(content)}\"")]);
            return;
        }
        if (seg.Length >= 3 && seg[0] == "cdn")
        {
            string file = string.Join('/', seg[2..]);
            var content = _repos.Values.SelectMany(r => r.Files).FirstOrDefault(f => f.Key == file && FakeRepo.Sha256(f.Value) == seg[1]).Value;
            if (content is null)
            {
                await Error(s, 404, null, "no such object");
                return;
            }
            await Serve(s, file, content, headers.GetValueOrDefault("Range"), [("ETag", $"\"{seg[1]}\"")]);
            return;
        }
        await Error(s, 404, null, "Not found");
    }

    private static Dictionary<string, object> TreeEntry(FakeRepo repo, string path, byte[] content)
    {
        var e = new Dictionary<string, object> { ["type"] = "file", ["path"] = path, ["size"] = content.Length };
        if (repo.Lfs.Contains(path))
        {
            byte[] pointer = Encoding.ASCII.GetBytes($"version https://git-lfs.github.com/spec/v1\noid sha256:{FakeRepo.Sha256(content)}\nsize {content.Length}\n");
            e["oid"] = FakeRepo.GitOid(pointer);
            e["lfs"] = new Dictionary<string, object> { ["oid"] = FakeRepo.Sha256(content), ["size"] = content.Length, ["pointerSize"] = pointer.Length };
        }
        else
        {
            e["oid"] = FakeRepo.GitOid(content);
        }
        return e;
    }

    private async Task Serve(NetworkStream s, string file, byte[] content, string? range, (string, string)[] extra)
    {
        if (CorruptAt.TryGetValue(file, out long bad))
        {
            content = (byte[])content.Clone();
            content[bad] ^= 0x5A;
        }
        long start = 0;
        if (range is not null && !IgnoreRange && range.StartsWith("bytes=", StringComparison.Ordinal))
        {
            start = long.Parse(range[6..range.IndexOf('-', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
            if (start >= content.Length)
            {
                await Respond(s, 416, "Range Not Satisfiable", ReadOnlyMemory<byte>.Empty, [("Content-Range", $"bytes */{content.Length}")]);
                return;
            }
        }
        bool partial = start > 0;
        var headers = new List<(string, string)>(extra) { ("Accept-Ranges", "bytes"), ("Content-Type", "application/octet-stream") };
        if (partial)
            headers.Add(("Content-Range", $"bytes {start}-{content.Length - 1}/{content.Length}"));
        byte[] body = content[(int)start..];
        if (DropOnceAt.TryRemove(file, out long dropAt) && dropAt > start)
        {
            // Promise the whole body, send part of it, close: the client sees the response end early.
            await Respond(s, partial ? 206 : 200, partial ? "Partial Content" : "OK", body.AsMemory(0, (int)(dropAt - start)), [.. headers], contentLength: body.Length);
            return;
        }
        if (HangOnceAt.TryRemove(file, out long hangAt) && hangAt > start)
        {
            // Send part of the body, then go silent with the connection open, as a stalled link does.
            await Respond(s, partial ? 206 : 200, partial ? "Partial Content" : "OK", body.AsMemory(0, (int)(hangAt - start)), [.. headers],
                contentLength: body.Length, hangFor: TimeSpan.FromSeconds(5));
            return;
        }
        await Respond(s, partial ? 206 : 200, partial ? "Partial Content" : "OK", body, [.. headers]);
    }

    private static Task Json(NetworkStream s, object value, (string, string)[]? extra = null) =>
        Respond(s, 200, "OK", JsonSerializer.SerializeToUtf8Bytes(value), [("Content-Type", "application/json"), .. extra ?? []]);

    private static Task Error(NetworkStream s, int code, string? errorCode, string message)
    {
        var headers = new List<(string, string)> { ("Content-Type", "application/json"), ("X-Error-Message", message) };
        if (errorCode is not null)
            headers.Add(("X-Error-Code", errorCode));
        return Respond(s, code, "Error", JsonSerializer.SerializeToUtf8Bytes(new { error = message }), [.. headers]);
    }

    private static async Task Respond(NetworkStream s, int code, string reason, ReadOnlyMemory<byte> body, (string Name, string Value)[] headers,
        long? contentLength = null, TimeSpan? hangFor = null)
    {
        var head = new StringBuilder();
        head.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {code} {reason}\r\n");
        foreach (var (n, v) in headers)
            head.Append(CultureInfo.InvariantCulture, $"{n}: {v}\r\n");
        head.Append(CultureInfo.InvariantCulture, $"Content-Length: {contentLength ?? body.Length}\r\nConnection: close\r\n\r\n");
        await s.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
        await s.WriteAsync(body);
        await s.FlushAsync();
        if (hangFor is { } hang)
            await Task.Delay(hang);
        s.Socket.Shutdown(SocketShutdown.Send); // a clean FIN, so the client reads every byte sent before the cut
    }

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _stop.Cancel();
        _listener.Stop();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // stopped
        }
        _stop.Dispose();
    }
}
