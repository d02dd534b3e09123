using System.CommandLine;
using EdgeLlm.Kernels.Import;
using EdgeLlm.Kernels.Tokenization;

namespace EdgeLlm.EdgeRuntime.Cli;

/// <summary>`edgellm synth`: writes a random-weight model of an official MobileLLM shape.</summary>
public static class SynthCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = "model shape", Required = true };
        preset.AcceptOnlyFromAmong([.. MobileLlmPresets.Names]);
        var type = new Option<string>("--type") { Description = ConvertCommand.TypeDescription, DefaultValueFactory = _ => "q8_0" };
        type.AcceptOnlyFromAmong("f32", "f16", "q8_0", "q4_0", "q8_0_r8", "q4_0_r8");
        var output = new Option<FileInfo>("--output", "-o") { Description = "GGUF file to write", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "random seed", DefaultValueFactory = _ => 1 };
        var tokenizer = new Option<FileInfo?>("--tokenizer") { Description = "SentencePiece tokenizer.model to embed (default: a placeholder vocabulary)" };

        var cmd = new Command("synth", "write a random-weight model of a real MobileLLM shape") { preset, type, output, seed, tokenizer };
        cmd.SetAction(parse => CliRunner.Run(() =>
        {
            var config = MobileLlmPresets.Get(parse.GetValue(preset)!);
            var tok = parse.GetValue(tokenizer) is { } t ? LlamaTokenizer.FromSentencePieceModel(t.FullName) : null;
            string path = parse.GetValue(output)!.FullName;
            Console.Error.WriteLine($"edgellm: {config.Name}: {MobileLlmPresets.ParameterCount(config):N0} parameters");
            SyntheticModel.Write(config, ConvertCommand.ParseType(parse.GetValue(type)!), parse.GetValue(seed), path, tok, Console.Error);
            Console.Error.WriteLine($"edgellm: wrote {path} ({new FileInfo(path).Length:N0} bytes)");
            return 0;
        }));
        return cmd;
    }
}
