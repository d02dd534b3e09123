using System.CommandLine;
using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Tokenization;

namespace EdgeLlm.EdgeRuntime.Cli;

/// <summary>`edgellm tokenize`: prints token ids, BOS first. Needs only the vocabulary (a vocab-only GGUF works).</summary>
public static class TokenizeCommand
{
    public static Command Create()
    {
        var model = new Option<FileInfo>("--model", "-m") { Description = "GGUF model or vocab-only file", Required = true };
        var text = new Option<string>("--text") { Description = "text to tokenize", Required = true };
        var noBos = new Option<bool>("--no-bos") { Description = "leave out the BOS token" };
        var cmd = new Command("tokenize", "print the token ids of a text") { model, text, noBos };
        cmd.SetAction(parse => CliRunner.Run(() =>
        {
            using var file = GgufFile.Open(parse.GetValue(model)!.FullName);
            var tokenizer = GgufVocabulary.Load(file);
            int[] ids = tokenizer.Encode(parse.GetValue(text)!, addBos: !parse.GetValue(noBos));
            Console.Out.WriteLine(string.Join(' ', ids));
            return 0;
        }));
        return cmd;
    }
}
