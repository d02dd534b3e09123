using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace EdgeLlm.EdgeRuntime.Tests.Hub;

/// <summary>A repo served by <see cref="FakeHub"/>.</summary>
public sealed class FakeRepo(string id)
{
    public string Id { get; } = id;
    public string Commit { get; set; } = "5f0e1d2c3b4a59687766554433221100ffeeddcc";
    public Dictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);
    public HashSet<string> Lfs { get; } = new(StringComparer.Ordinal);

    /// <summary>Gated: downloads need "Bearer AcceptedToken"; no token → 401, another token → 403 (as the hub does).</summary>
    public bool Gated { get; set; }
    public string? AcceptedToken { get; set; }

    /// <summary>Entries per page of the tree listing (0 = one page).</summary>
    public int TreePageSize { get; set; }

    public FakeRepo Add(string path, byte[] content, bool lfs = false)
    {
        Files[path] = content;
        if (lfs)
            Lfs.Add(path);
        return this;
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<byte[], string> Sha256s = new();
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<byte[], string> GitOids = new();

    public static string Sha256(byte[] data) => Sha256s.GetValue(data, d => Convert.ToHexStringLower(SHA256.HashData(d)));

    public static string GitOid(byte[] data) => GitOids.GetValue(data, ComputeGitOid);

    private static string ComputeGitOid(byte[] data)
    {
        byte[] header = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"blob {data.Length}\0"));
#pragma warning disable CA5350 // git's blob id
        return Convert.ToHexStringLower(SHA1.HashData([.. header, .. data]));
#pragma warning restore CA5350
    }
}
