namespace EdgeLlm.Kernels.Tests;

/// <summary>Finds the repository root and the read-only reference folder beside it (../shared).</summary>
public static class SharedData
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The shared reference folder: $EDGELLM_SHARED, else "shared" beside the checkout.</summary>
    public static string Root { get; } = Environment.GetEnvironmentVariable("EDGELLM_SHARED") is { Length: > 0 } env
        ? env
        : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string PathOf(params string[] parts)
    {
        string path = Path.Combine([Root, .. parts]);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"reference file missing: {path} (set EDGELLM_SHARED to the shared folder)", path);
        }

        return path;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EdgeLlm.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("EdgeLlm.sln not found above " + AppContext.BaseDirectory);
    }
}
