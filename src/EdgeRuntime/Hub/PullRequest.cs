using System.Diagnostics;
using EdgeLlm.Kernels.Gguf;

namespace EdgeLlm.EdgeRuntime.Hub;

/// <summary>What to pull and where.</summary>
/// <param name="Model">a known short name (mobilellm-125m …) or a repo id owner/name</param>
/// <param name="OutputDir">the local model folder (created if missing)</param>
/// <param name="Type">tensor type of the GGUF written after the download</param>
/// <param name="Endpoint">the hub (https://huggingface.co, a mirror, or a test server)</param>
/// <param name="Token">read token for gated repos, or null</param>
/// <param name="Revision">branch, tag or commit</param>
/// <param name="Convert">false = download only</param>
public sealed record PullRequest(string Model, string OutputDir, GgmlType Type, Uri Endpoint, string? Token,
    string Revision = "main", bool Convert = true);
