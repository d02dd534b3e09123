using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace EdgeLlm.EdgeRuntime.Hub;

/// <summary>
/// The check the hub's listing allows for a file: sha256 of the content for LFS files (the LFS oid), the git blob
/// id (sha1 of "blob SIZE\0" + content) for files kept in git, or the size alone when neither is given.
/// Fed incrementally, so a resumed download is not read twice.
/// </summary>
public sealed class ContentHash : IDisposable
{
    private readonly HubFile _file;
    private readonly string? _expected;
    private IncrementalHash? _hash;

    /// <summary>Bytes of content hashed so far (not counting the git header).</summary>
    public long Count { get; private set; }

    /// <summary>"sha256", "git sha1" or "size".</summary>
    public string Kind { get; }

    public ContentHash(HubFile file)
    {
        _file = file;
        (_expected, Kind) = file switch
        {
            { Sha256: { } sha } => (sha, "sha256"),
            { GitOid: { } oid } => (oid, "git sha1"),
            _ => (null, "size"),
        };
        _hash = Start();
    }

    private IncrementalHash? Start()
    {
        if (_file.Sha256 is not null)
            return IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        if (_file.GitOid is null)
            return null;
#pragma warning disable CA5350 // git's object id is sha1; this checks integrity against it, not security
        var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
#pragma warning restore CA5350
        h.AppendData(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"blob {_file.Size}\0")));
        return h;
    }

    /// <summary>Back to zero bytes hashed.</summary>
    public void Reset()
    {
        _hash?.Dispose();
        _hash = Start();
        Count = 0;
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        _hash?.AppendData(data);
        Count += data.Length;
    }

    /// <summary>Finishes the hash; true when it matches (always true for a size-only check).</summary>
    public bool Matches(out string actual)
    {
        if (_hash is null)
        {
            actual = "";
            return true;
        }
        actual = Convert.ToHexStringLower(_hash.GetHashAndReset());
        return string.Equals(actual, _expected, StringComparison.OrdinalIgnoreCase);
    }

    public string Expected => _expected ?? "";

    /// <summary>Hashes the first <paramref name="length"/> bytes of a file.</summary>
    public static async Task<ContentHash> OfFilePrefixAsync(HubFile file, string path, long length, CancellationToken ct)
    {
        var h = new ContentHash(file);
        if (length == 0)
            return h;
        var buffer = new byte[1 << 20];
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan | FileOptions.Asynchronous);
        while (h.Count < length)
        {
            int n = await fs.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - h.Count)), ct);
            if (n == 0)
                throw new IOException($"{path} is shorter than expected");
            h.Append(buffer.AsSpan(0, n));
        }
        return h;
    }

    public void Dispose() => _hash?.Dispose();
}
