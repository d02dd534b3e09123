namespace EdgeLlm.EdgeRuntime.Tests.Deployment;

/// <summary>One path of a <see cref="TreeSnapshot"/>: type (f, d, l), permission bits, owner, group, mtime, link target, SHA-256.</summary>
public sealed record TreeEntry(char Type, int Mode, int Uid, int Gid, string MTime, string Link, string Sha256)
{
    public override string ToString() => $"{Type} {Convert.ToString(Mode, 8)} {Uid}:{Gid}{(Link.Length > 0 ? " -> " + Link : "")} {(Sha256.Length > 0 ? Sha256[..12] : "")} {MTime}";
}
