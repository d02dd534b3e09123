using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using EdgeLlm.Kernels.Generation;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>Energy figures of one generation; all null until a power monitor provides them.</summary>
public sealed record EnergyReport(double? EnergyJoules, double? JoulesPerToken, string? PowerSource)
{
    public static EnergyReport None { get; } = new(null, null, null);
}
