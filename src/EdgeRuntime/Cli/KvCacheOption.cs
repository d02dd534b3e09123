using System.CommandLine;
using EdgeLlm.Kernels.Model;

namespace EdgeLlm.EdgeRuntime.Cli;

/// <summary>`--kv-cache f32|f16|q8_0`: the KV cache format (q8_0 is what fits a 2 048-token context in under 48 MB).</summary>
internal static class KvCacheOption
{
    public static Option<string> Create()
    {
        var o = new Option<string>("--kv-cache") { Description = "KV cache format: f32 (exact), f16, q8_0 (smallest)", DefaultValueFactory = _ => "f32" };
        o.AcceptOnlyFromAmong("f32", "f16", "q8_0");
        return o;
    }

    public static KvCacheType Parse(string value) => value switch
    {
        "f32" => KvCacheType.F32,
        "f16" => KvCacheType.F16,
        "q8_0" => KvCacheType.Q8_0,
        _ => throw new ArgumentException($"--kv-cache: unknown format '{value}' (f32, f16, q8_0)"),
    };
}
