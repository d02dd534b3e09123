using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace EdgeLlm.EdgeRuntime.Hub;

/// <summary>One file of a repo as the hub lists it.</summary>
/// <param name="Path">path inside the repo</param>
/// <param name="Size">size in bytes of the real content (for LFS files, the LFS object's size)</param>
/// <param name="Sha256">the LFS object id (sha256 of the content, lowercase hex), or null for a file kept in git</param>
/// <param name="GitOid">the git blob id (sha1 of "blob SIZE\0" + content), or null when not given</param>
public sealed record HubFile(string Path, long Size, string? Sha256, string? GitOid)
{
    public bool IsLfs => Sha256 is not null;
}
