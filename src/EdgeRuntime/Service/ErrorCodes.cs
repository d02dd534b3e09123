using System.Text.Json;
using System.Text.Unicode;
using EdgeLlm.Kernels.Generation;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>Error codes of the error reply (docs/mqtt.md).</summary>
public static class ErrorCodes
{
    public const string BadRequest = "bad_request";
    public const string Busy = "busy";
    public const string TooLong = "too_long";
    public const string Internal = "internal";
}
