using System.CommandLine;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using EdgeLlm.Kernels;

namespace EdgeLlm.EdgeRuntime.Cli;

/// <summary>`edgellm info`: model metadata, parameter count, CPU features and the kernel path chosen.</summary>
public static class InfoCommand
{
    public static Command Create()
    {
        var model = new Option<FileInfo>("--model", "-m") { Description = "GGUF model file", Required = true };
        var cmd = new Command("info", "describe a model and this CPU") { model };
        cmd.SetAction(parse => CliRunner.Run(() =>
        {
            using var lm = LanguageModel.Load(parse.GetValue(model)!.FullName, new ModelLoadOptions { Threads = 1 });
            var d = lm.Description;
            var c = d.Config;
            var o = Console.Out;
            o.WriteLine($"model:        {c.Name} ({c.Architecture})");
            o.WriteLine($"file:         {d.FilePath} ({d.FileBytes:N0} bytes, GGUF v{d.GgufVersion})");
            o.WriteLine($"parameters:   {d.Parameters:N0} ({d.TensorBytes:N0} bytes of weights)");
            o.WriteLine($"shape:        dim {c.Dim}, {c.Layers} layers{(c.LayerRepeats > 1 ? $" x{c.LayerRepeats} (layer sharing)" : "")}, " +
                        $"{c.Heads} heads / {c.KvHeads} KV heads (head dim {c.HeadDim}), FFN {c.HiddenDim}, vocab {c.VocabSize}, context {c.ContextLength}");
            o.WriteLine($"rope:         theta {c.RopeTheta}, {c.RopeDims} dims; rms eps {c.RmsEps}");
            o.WriteLine($"output:       {(d.TiedOutput ? "tied to token_embd.weight" : "output.weight")}");
            o.WriteLine("tensor types: " + string.Join(", ", d.TensorTypes.Select(t => $"{t.Type} x{t.Count}")));
            if (d.TensorTypes.Any(t => EdgeLlm.Kernels.Gguf.GgmlTypeInfo.IsInterleaved(t.Type)))
            {
                o.WriteLine("layout:       rows interleaved in eights (edgellm's own layout, docs/interleaved.md; llama.cpp cannot read this file)");
            }

            o.WriteLine($"cpu:          {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}, {Environment.ProcessorCount} cores; {CpuFeatures()}");
            o.WriteLine($"kernel path:  {d.KernelPath} — {d.KernelDescription}");
            o.WriteLine($"weights:      {(d.StreamsWeights ? "stream from memory (larger than the last-level cache, or its size unknown)" : "fit the last-level cache")}; matrix × vector kernels chosen for that");
            return 0;
        }));
        return cmd;
    }

    private static string CpuFeatures()
    {
        var f = new List<string>();
        void Add(bool on, string name)
        {
            if (on)
            {
                f.Add(name);
            }
        }

        Add(Avx2.IsSupported, "AVX2");
        Add(Fma.IsSupported, "FMA");
        Add(AvxVnni.IsSupported, "AVX-VNNI");
        Add(Avx512BW.IsSupported, "AVX-512BW");
        Add(AdvSimd.IsSupported, "AdvSIMD (NEON)");
        Add(Dp.IsSupported, "DotProd (SDOT)");
        return f.Count == 0 ? "no SIMD extensions used" : string.Join(", ", f);
    }
}
