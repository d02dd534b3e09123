using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace EdgeLlm.EdgeRuntime.Hub;

/// <summary>
/// The few Hugging Face hub endpoints <c>edgellm pull</c> needs: revision info (for the commit id),
/// the file tree (names, sizes, LFS sha256), and file downloads under <c>/{repo}/resolve/{commit}/{path}</c>.
/// Redirects are followed by hand so the token is sent only to the hub itself, never to the CDN it redirects to.
/// </summary>
public sealed class HubClient : IDisposable
{
    public const string DefaultEndpoint = "https://huggingface.co";
    private const int MaxRedirects = 10;

    private readonly HttpClient _http;
    private readonly string? _token;

    public Uri Endpoint { get; }

    public HubClient(Uri endpoint, string? token, HttpMessageHandler? handler = null)
    {
        if (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"--endpoint must be an http(s) URL, not '{endpoint}'");
        Endpoint = new Uri(endpoint.AbsoluteUri.TrimEnd('/') + "/");
        _token = string.IsNullOrWhiteSpace(token) ? null : token.Trim();
        handler ??= new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None, // sizes and ranges are of the raw bytes
            ConnectTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        // No overall timeout: a large file takes as long as it takes; stalls are caught per read by the downloader.
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("edgellm", "1.0"));
    }

    public bool HasToken => _token is not null;

    /// <summary>The commit id a revision (branch, tag or commit) points to now.</summary>
    public async Task<string> GetCommitAsync(string repo, string revision, CancellationToken ct)
    {
        var url = new Uri(Endpoint, $"api/models/{repo}/revision/{Uri.EscapeDataString(revision)}");
        using var doc = await GetJsonAsync(url, repo, revision, null, ct);
        if (doc.RootElement.ValueKind == JsonValueKind.Object
            && doc.RootElement.TryGetProperty("sha", out var sha) && sha.ValueKind == JsonValueKind.String
            && sha.GetString() is { Length: > 0 } s)
            return s;
        throw new HubException(HubErrorKind.Protocol, $"the hub's answer for {repo}@{revision} has no commit id ('sha')");
    }

    /// <summary>The files at the top of the repo at a commit, following the tree listing's pagination.</summary>
    public async Task<IReadOnlyList<HubFile>> ListFilesAsync(string repo, string commit, CancellationToken ct)
    {
        var files = new List<HubFile>();
        Uri? url = new(Endpoint, $"api/models/{repo}/tree/{Uri.EscapeDataString(commit)}");
        for (int page = 0; url is not null; page++)
        {
            if (page > 1000)
                throw new HubException(HubErrorKind.Protocol, $"the hub's file listing for {repo} does not end");
            Uri? next = null;
            using var doc = await GetJsonAsync(url, repo, commit, links => next = links, ct);
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
                throw new HubException(HubErrorKind.Protocol, $"the hub's file listing for {repo} is not a list");
            foreach (var e in doc.RootElement.EnumerateArray())
                if (ParseEntry(e) is { } f)
                    files.Add(f);
            url = next;
        }
        return files;
    }

    private static HubFile? ParseEntry(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object || Str(e, "type") != "file" || Str(e, "path") is not { } path)
            return null;
        long size = e.TryGetProperty("size", out var s) && s.TryGetInt64(out long sz) ? sz : -1;
        string? sha256 = null;
        if (e.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object)
        {
            sha256 = Str(lfs, "oid") ?? Str(lfs, "sha256");
            if (sha256 is not null && sha256.StartsWith("sha256:", StringComparison.Ordinal))
                sha256 = sha256["sha256:".Length..];
            if (lfs.TryGetProperty("size", out var ls) && ls.TryGetInt64(out long lsz))
                size = lsz;
        }
        if (size < 0)
            return null;
        string? oid = Str(e, "oid");
        return new HubFile(path, size, IsHex(sha256, 64) ? sha256!.ToLowerInvariant() : null,
            IsHex(oid, 40) ? oid!.ToLowerInvariant() : null);
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool IsHex(string? s, int length) => s is not null && s.Length == length && s.All(Uri.IsHexDigit);

    /// <summary>The download URL of a file at a commit.</summary>
    public Uri ResolveUrl(string repo, string commit, string path) =>
        new(Endpoint, $"{repo}/resolve/{Uri.EscapeDataString(commit)}/{string.Join('/', path.Split('/').Select(Uri.EscapeDataString))}");

    /// <summary>How long one API call may take before it is retried.</summary>
    public TimeSpan ApiTimeout { get; init; } = TimeSpan.FromSeconds(60);

    private async Task<JsonDocument> GetJsonAsync(Uri url, string repo, string revision, Action<Uri?>? nextPage, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            HttpResponseMessage? r = null;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(ApiTimeout);
            try
            {
                r = await SendAsync(url, null, timeout.Token);
                if (r.IsSuccessStatusCode)
                {
                    nextPage?.Invoke(NextLink(r, url));
                    await using var body = await r.Content.ReadAsStreamAsync(timeout.Token);
                    return await JsonDocument.ParseAsync(body, default, timeout.Token);
                }
                var error = ErrorFor(r, repo, revision, null);
                if (!IsTransient(r.StatusCode) || attempt >= 4)
                    throw error;
            }
            catch (JsonException e)
            {
                throw new HubException(HubErrorKind.Protocol, $"the hub's answer from {url} is not valid JSON ({e.Message})", e);
            }
            catch (Exception e) when (e is HttpRequestException || (e is IOException and not HubException)
                                          || (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                if (attempt >= 4)
                    throw new HubException(HubErrorKind.Network, e is OperationCanceledException
                        ? $"{Endpoint.GetLeftPart(UriPartial.Authority)} did not answer within {ApiTimeout.TotalSeconds:0} s"
                        : $"cannot reach {Endpoint.GetLeftPart(UriPartial.Authority)}: {e.Message}", e);
            }
            finally
            {
                r?.Dispose();
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250 << attempt), ct);
        }
    }

    private static Uri? NextLink(HttpResponseMessage r, Uri current)
    {
        if (!r.Headers.TryGetValues("Link", out var values))
            return null;
        foreach (var part in values.SelectMany(v => v.Split(',')))
        {
            var bits = part.Split(';');
            if (bits.Skip(1).Any(b => b.Trim().Replace(" ", "", StringComparison.Ordinal) is "rel=\"next\"" or "rel=next"))
            {
                string target = bits[0].Trim().TrimStart('<').TrimEnd('>');
                return Uri.TryCreate(current, target, out var u) ? u : null;
            }
        }
        return null;
    }

    /// <summary>
    /// Sends a GET, following redirects itself: the token goes only to the hub's own host,
    /// the Range header (if any) to every hop.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(Uri url, RangeHeaderValue? range, CancellationToken ct)
    {
        for (int hop = 0; ; hop++)
        {
            using var req = new HttpRequestMessage(HttpMethod.Get, url);
            if (range is not null)
                req.Headers.Range = range;
            if (_token is not null && SameOrigin(url, Endpoint))
                req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            var r = await _http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, ct);
            int code = (int)r.StatusCode;
            if ((code is 301 or 302 or 303 or 307 or 308) && r.Headers.Location is { } location)
            {
                r.Dispose();
                if (hop >= MaxRedirects)
                    throw new HubException(HubErrorKind.Protocol, $"too many redirects from {url}");
                url = location.IsAbsoluteUri ? location : new Uri(url, location);
                continue;
            }
            return r;
        }
    }

    private static bool SameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    public static bool IsTransient(HttpStatusCode code) =>
        code is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)code >= 500;

    /// <summary>Turns an error answer of the hub into a one-line message that says what to do.</summary>
    public HubException ErrorFor(HttpResponseMessage r, string repo, string revision, string? file)
    {
        int code = (int)r.StatusCode;
        string? errorCode = Header(r, "X-Error-Code");
        string? errorMessage = Header(r, "X-Error-Message");
        string page = new Uri(Endpoint, repo).AbsoluteUri;

        if (errorCode == "RevisionNotFound")
            return new(HubErrorKind.RevisionNotFound, $"revision '{revision}' not found in {repo}");
        if (errorCode == "EntryNotFound" || (file is not null && code == 404 && errorCode != "RepoNotFound"))
            return new(HubErrorKind.FileMissing, $"{file ?? "a file"} is listed in {repo} but the hub cannot serve it (HTTP {code})");
        if (errorCode == "RepoNotFound" || code == 404)
            return new(HubErrorKind.RepoNotFound,
                $"repository {repo} not found on {Endpoint.GetLeftPart(UriPartial.Authority)} (check the name; a private repo also needs a token with --token or HF_TOKEN)");
        if (code == 401 && errorMessage is not null && errorMessage.Contains("Invalid credentials", StringComparison.OrdinalIgnoreCase))
            return new(HubErrorKind.BadToken,
                $"the hub rejected the token as invalid (HTTP 401): create a read token at {new Uri(Endpoint, "settings/tokens").AbsoluteUri} and pass it with --token or HF_TOKEN");
        if (errorCode == "GatedRepo" || code is 401 or 403)
            return new(HubErrorKind.Gated, HasToken
                ? $"{repo} is gated and this token has no access (HTTP {code}): accept the licence on {page} with the account that owns the token, then run pull again with --token or HF_TOKEN"
                : $"{repo} is gated (HTTP {code}): accept the licence on {page}, then pass a read token with --token or HF_TOKEN");
        string what = file is null ? repo : $"{file} of {repo}";
        return new(HubErrorKind.Protocol, $"the hub answered HTTP {code} {r.ReasonPhrase} for {what}{(errorMessage is null ? "" : $": {errorMessage}")}");
    }

    private static string? Header(HttpResponseMessage r, string name) =>
        r.Headers.TryGetValues(name, out var v) ? v.FirstOrDefault() : null;

    public void Dispose() => _http.Dispose();
}
