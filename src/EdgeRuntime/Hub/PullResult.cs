using System.Diagnostics;
using EdgeLlm.Kernels.Gguf;

namespace EdgeLlm.EdgeRuntime.Hub;

public sealed record PullResult(string Repo, string Commit, string Directory, IReadOnlyList<PulledFile> Files, string? GgufPath);
