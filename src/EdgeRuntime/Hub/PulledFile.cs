using System.Diagnostics;
using EdgeLlm.Kernels.Gguf;

namespace EdgeLlm.EdgeRuntime.Hub;

public sealed record PulledFile(string Path, long Size, DownloadOutcome Outcome);
