using System.CommandLine;
using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Import;
using EdgeLlm.Kernels.Import.Hf;
using EdgeLlm.Kernels.Tokenization;

namespace EdgeLlm.EdgeRuntime.Cli;

/// <summary>`edgellm convert`: writes a GGUF from another checkpoint format.</summary>
public static class ConvertCommand
{
    public static Command Create()
    {
        var from = new Option<string>("--from") { Description = "source format", Required = true };
        from.AcceptOnlyFromAmong("llama2c", "hf");
        var checkpoint = new Option<FileInfo>("--checkpoint") { Description = "llama2.c checkpoint (.bin)" };
        var tokenizer = new Option<FileInfo>("--tokenizer") { Description = "llama2.c tokenizer (.bin)" };
        var input = new Option<DirectoryInfo>("--input") { Description = "Hugging Face model folder (config.json, tokenizer.model, weights)" };
        var output = new Option<FileInfo>("--output", "-o") { Description = "GGUF file to write", Required = true };
        var type = new Option<string>("--type") { Description = TypeDescription, DefaultValueFactory = _ => "q8_0" };
        type.AcceptOnlyFromAmong("f32", "f16", "q8_0", "q4_0", "q8_0_r8", "q4_0_r8");
        var name = new Option<string?>("--name") { Description = "general.name (default: the checkpoint's file name, or the folder's name with --from hf)" };

        var cmd = new Command("convert", "convert a checkpoint to GGUF") { from, checkpoint, tokenizer, input, output, type, name };
        cmd.SetAction(parse => CliRunner.Run(() =>
        {
            if (parse.GetValue(from) == "hf")
            {
                var dir = parse.GetValue(input) ?? throw new ArgumentException("--from hf needs --input DIR");
                string hfOut = parse.GetValue(output)!.FullName;
                HfImporter.Convert(dir.FullName, hfOut, ParseType(parse.GetValue(type)!), Console.Error, parse.GetValue(name));
                Console.Error.WriteLine($"edgellm: wrote {hfOut} ({new FileInfo(hfOut).Length:N0} bytes)");
                return 0;
            }

            var ckptFile = parse.GetValue(checkpoint) ?? throw new ArgumentException("--from llama2c needs --checkpoint FILE");
            var tokFile = parse.GetValue(tokenizer) ?? throw new ArgumentException("--from llama2c needs --tokenizer FILE");
            GgmlType ggmlType = ParseType(parse.GetValue(type)!);
            string outPath = parse.GetValue(output)!.FullName;

            var ckpt = Llama2cCheckpoint.Read(ckptFile.FullName);
            var tok = LlamaTokenizer.FromLlama2cFile(tokFile.FullName, ckpt.VocabSize);
            ckpt.WriteGguf(outPath, tok, ggmlType, parse.GetValue(name) ?? Path.GetFileNameWithoutExtension(ckptFile.Name), Console.Error);
            Console.Error.WriteLine($"edgellm: wrote {outPath} ({new FileInfo(outPath).Length:N0} bytes)");
            return 0;
        }));
        return cmd;
    }

    /// <summary>The help text of every --type that offers the interleaved layouts.</summary>
    public const string TypeDescription = "tensor type; q8_0_r8 / q4_0_r8 interleave eight rows (faster here, but only edgellm reads them: docs/interleaved.md)";

    public static GgmlType ParseType(string s) => s switch
    {
        "f32" => GgmlType.F32,
        "f16" => GgmlType.F16,
        "q8_0" => GgmlType.Q8_0,
        "q4_0" => GgmlType.Q4_0,
        "q8_0_r8" => GgmlType.Q8_0_R8,
        "q4_0_r8" => GgmlType.Q4_0_R8,
        _ => throw new ArgumentException($"unknown type '{s}' (f32, f16, q8_0, q4_0, q8_0_r8, q4_0_r8)"),
    };
}
