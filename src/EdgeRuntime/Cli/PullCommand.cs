using System.CommandLine;
using EdgeLlm.EdgeRuntime.Hub;

namespace EdgeLlm.EdgeRuntime.Cli;

/// <summary>`edgellm pull`: downloads a model from the Hugging Face hub into a folder and converts it to GGUF.</summary>
public static class PullCommand
{
    public static Command Create() => Create(new HfImporterConverter());

    /// <summary>The command with another conversion step (tests, or a build with a different importer).</summary>
    public static Command Create(IModelConverter converter, DownloadOptions? options = null)
    {
        var model = new Argument<string>("model")
        {
            Description = $"{string.Join(", ", KnownModels.Repos.Keys)}, or a Hugging Face repo as owner/name",
        };
        var token = new Option<string?>("--token") { Description = "Hugging Face read token (default: $HF_TOKEN); the MobileLLM repos are gated" };
        var output = new Option<DirectoryInfo?>("--output", "-o") { Description = "model folder to download into (default: ./NAME)" };
        var type = new Option<string>("--type") { Description = "tensor type of the GGUF", DefaultValueFactory = _ => "q8_0" };
        type.AcceptOnlyFromAmong("q8_0", "q4_0", "q8_0_r8", "q4_0_r8");
        var endpoint = new Option<string?>("--endpoint") { Description = $"hub URL (default: $HF_ENDPOINT or {HubClient.DefaultEndpoint})" };
        var revision = new Option<string>("--revision") { Description = "branch, tag or commit", DefaultValueFactory = _ => "main" };
        var noConvert = new Option<bool>("--no-convert") { Description = "download only; do not write a GGUF" };

        var cmd = new Command("pull", "download a model from the Hugging Face hub and convert it to GGUF")
        {
            model, token, output, type, endpoint, revision, noConvert,
        };
        cmd.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            string name = parse.GetValue(model)!;
            var (_, localName) = KnownModels.Resolve(name);
            string endpointText = FirstSet(parse.GetValue(endpoint), Environment.GetEnvironmentVariable("HF_ENDPOINT")) ?? HubClient.DefaultEndpoint;
            if (!Uri.TryCreate(endpointText, UriKind.Absolute, out var endpointUri))
                throw new ArgumentException($"--endpoint / HF_ENDPOINT is not a URL: '{endpointText}'");
            var request = new PullRequest(
                name,
                parse.GetValue(output)?.FullName ?? Path.Combine(Environment.CurrentDirectory, localName),
                ConvertCommand.ParseType(parse.GetValue(type)!),
                endpointUri,
                FirstSet(parse.GetValue(token), Environment.GetEnvironmentVariable("HF_TOKEN")),
                parse.GetValue(revision)!,
                Convert: !parse.GetValue(noConvert));
            await new ModelPuller(converter, Console.Error, options).PullAsync(request, ct);
            return 0;
        }));
        return cmd;
    }

    private static string? FirstSet(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v))?.Trim();
}
