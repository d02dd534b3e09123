using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting.Systemd;

namespace EdgeLlm.EdgeRuntime.Tests.Infrastructure;

/// <summary>An <see cref="ISystemdNotifier"/> (the hosting library's seam) that records what would go to systemd.</summary>
public sealed class RecordingNotifier : ISystemdNotifier
{
    private readonly ConcurrentQueue<(DateTime At, string State)> _sent = new();

    public bool IsEnabled => true;

    public int Count => _sent.Count;

    public IReadOnlyList<(DateTime At, string State)> Sent => _sent.ToArray();

    public void Notify(ServiceState state) => _sent.Enqueue((DateTime.UtcNow, state.ToString()));
}
