namespace EdgeLlm.EdgeRuntime.Hub;

/// <summary>What went wrong talking to the hub, so callers and tests can tell the cases apart.</summary>
public enum HubErrorKind
{
    /// <summary>401/403 on a gated repo: the licence has not been accepted, or no token was sent.</summary>
    Gated,
    /// <summary>The token was rejected as invalid.</summary>
    BadToken,
    /// <summary>The repository does not exist (or is private and no token with access was sent).</summary>
    RepoNotFound,
    /// <summary>The revision (branch, tag or commit) does not exist.</summary>
    RevisionNotFound,
    /// <summary>The repo exists but lacks a file we need.</summary>
    FileMissing,
    /// <summary>A downloaded file does not match the size or hash the hub lists.</summary>
    Integrity,
    /// <summary>The connection failed, or the server kept failing, after all retries.</summary>
    Network,
    /// <summary>Anything else the hub answered that we cannot use.</summary>
    Protocol,
}
