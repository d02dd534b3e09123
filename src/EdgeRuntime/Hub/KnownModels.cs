using System.Text.RegularExpressions;

namespace EdgeLlm.EdgeRuntime.Hub;

/// <summary>The short names <c>edgellm pull</c> accepts, and the Hugging Face repos Meta published them under.</summary>
public static partial class KnownModels
{
    /// <summary>Short name → repo id. Meta published layer-sharing checkpoints only for 125M and 350M.</summary>
    public static IReadOnlyDictionary<string, string> Repos { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["mobilellm-125m"] = "facebook/MobileLLM-125M",
        ["mobilellm-350m"] = "facebook/MobileLLM-350M",
        ["mobilellm-600m"] = "facebook/MobileLLM-600M",
        ["mobilellm-1b"] = "facebook/MobileLLM-1B",
        ["mobilellm-1.5b"] = "facebook/MobileLLM-1.5B",
        ["mobilellm-125m-ls"] = "facebook/MobileLLM-125M-layer-share",
        ["mobilellm-350m-ls"] = "facebook/MobileLLM-350M-layer-share",
    };

    /// <summary>Shapes that exist as <c>synth</c> presets but have no published checkpoint.</summary>
    private static readonly HashSet<string> Unpublished = new(StringComparer.OrdinalIgnoreCase)
    {
        "mobilellm-600m-ls", "mobilellm-1b-ls", "mobilellm-1.5b-ls",
    };

    /// <summary>
    /// Maps what the user typed to a repo id and the local name used for the output folder and GGUF file.
    /// Accepts a known short name or any <c>owner/name</c>.
    /// </summary>
    public static (string Repo, string LocalName) Resolve(string model)
    {
        string m = model.Trim();
        if (Repos.TryGetValue(m, out var repo))
            return (repo, m.ToLowerInvariant());
        if (Unpublished.Contains(m))
            throw new ArgumentException(
                $"Meta did not publish a layer-sharing checkpoint for '{m}' (only mobilellm-125m-ls and mobilellm-350m-ls exist); " +
                $"for a random-weight model of that shape use `edgellm synth --preset {m.ToLowerInvariant()}`");
        if (RepoId().IsMatch(m) && !m.Contains("..", StringComparison.Ordinal) && !m.Contains("--", StringComparison.Ordinal))
            return (m, m[(m.IndexOf('/') + 1)..].ToLowerInvariant());
        throw new ArgumentException(
            $"unknown model '{model}': use one of {string.Join(", ", Repos.Keys)}, or a Hugging Face repo as owner/name");
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")]
    private static partial Regex RepoId();
}
