using System.CommandLine;
using EdgeLlm.Kernels.Model;

namespace EdgeLlm.EdgeRuntime.Cli;

/// <summary>`--kv-cache auto|f32|f16|q8_0`: the KV cache format (auto: q8_0 when the head size allows, else f32).</summary>
internal static class KvCacheOption
{
    public static Option<string> Create()
    {
        var o = new Option<string>("--kv-cache") { Description = "KV cache format: auto (q8_0 when the head size is a multiple of 32, else f32), f32 (exact), f16, q8_0 (smallest)", DefaultValueFactory = _ => "auto" };
        o.AcceptOnlyFromAmong("auto", "f32", "f16", "q8_0");
        return o;
    }

    public static KvCacheType Parse(string value) => value switch
    {
        "auto" => KvCacheType.Auto,
        "f32" => KvCacheType.F32,
        "f16" => KvCacheType.F16,
        "q8_0" => KvCacheType.Q8_0,
        _ => throw new ArgumentException($"--kv-cache: unknown format '{value}' (auto, f32, f16, q8_0)"),
    };
}
