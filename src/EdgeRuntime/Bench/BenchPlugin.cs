using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace EdgeLlm.EdgeRuntime.Bench;

/// <summary>
/// Loads the llama.cpp side of <c>edgellm bench --vs-llamacpp</c> from a plugin assembly (tests/EdgeLlm.Bench, which
/// references LLamaSharp) into its own <see cref="AssemblyLoadContext"/>. The product never references LLamaSharp:
/// the plugin's own dependencies (LLamaSharp and its native llama.cpp) resolve from the plugin's folder, while the
/// assemblies edgellm already has (this interface's) resolve to the host's copies, so the types match.
/// </summary>
public static class BenchPlugin
{
    /// <summary>Where <c>dotnet build tests/EdgeLlm.Bench -c Release</c> puts the plugin, relative to the repository.</summary>
    public const string DefaultRelativePath = "tests/EdgeLlm.Bench/bin/Release/net10.0/EdgeLlm.Bench.dll";

    /// <summary>The default plugin path: found from the executable's folder or the current directory upwards.</summary>
    public static string DefaultPath()
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "EdgeLlm.sln")))
                {
                    return Path.Combine(dir.FullName, DefaultRelativePath);
                }
            }
        }

        return Path.GetFullPath(DefaultRelativePath);
    }

    /// <summary>The feature switch that a trimmed or Native AOT build sets to false (EdgeLlm.EdgeRuntime.csproj).</summary>
    public const string FeatureSwitch = "EdgeLlm.Bench.PluginLoading.IsSupported";

    /// <summary>
    /// False in a Native AOT (or trimmed) build: there is no JIT to run the plugin's IL, and the trimmer has removed
    /// the parts of the host the plugin would bind to. The compiler substitutes the switch's value, so in such a
    /// build <see cref="Load"/> is not compiled in at all.
    /// </summary>
    /// <remarks>
    /// The Roslyn analyzer cannot see that a switch definition makes the property a guard and reports IL4000 for the
    /// unreferenced-code guard (dotnet/runtime's own feature-guard tests expect exactly that from the analyzer alone);
    /// ILC and ILLink substitute the switch, which is what removes the guarded code. The dynamic-code half is checked
    /// by the analyzer through <see cref="RuntimeFeature.IsDynamicCodeSupported"/>.
    /// </remarks>
#pragma warning disable IL4000
    [FeatureSwitchDefinition(FeatureSwitch)]
    [FeatureGuard(typeof(RequiresUnreferencedCodeAttribute))]
    [FeatureGuard(typeof(RequiresDynamicCodeAttribute))]
    public static bool IsSupported => RuntimeFeature.IsDynamicCodeSupported && (!AppContext.TryGetSwitch(FeatureSwitch, out bool on) || on);
#pragma warning restore IL4000

    /// <summary>The one line a build without plugin loading answers <c>--vs-llamacpp</c> with.</summary>
    public const string NotSupportedMessage =
        "--vs-llamacpp loads the llama.cpp plugin (LLamaSharp) at run time, which this Native AOT build cannot do: " +
        "run bench from the JIT build (`dotnet run --project src/EdgeRuntime -c Release -- bench ...` or hardware/publish.sh --mode r2r)";

    /// <summary>
    /// The plugin's factory when <paramref name="o"/> asks for llama.cpp (<c>--vs-llamacpp</c>), else null; in a build
    /// without plugin loading, the one-line <see cref="NotSupportedException"/> of <see cref="NotSupportedMessage"/>.
    /// </summary>
    public static IBenchBackendFactory? LoadIfAsked(BenchOptions o)
    {
        if (!o.VsLlamaCpp)
        {
            return null;
        }

        if (!IsSupported)
        {
            throw new NotSupportedException(NotSupportedMessage);
        }

        return Load(o.LlamaCppPlugin);
    }

    /// <summary>Loads the plugin and returns its factory; a missing or unusable plugin is a one-line <see cref="InvalidOperationException"/>.</summary>
    [RequiresUnreferencedCode("loads a plugin assembly and binds to the host's types by name")]
    [RequiresDynamicCode("runs the plugin's IL, which needs the JIT")]
    public static IBenchBackendFactory Load(string? path)
    {
        string full = Path.GetFullPath(path ?? DefaultPath());
        if (!File.Exists(full))
        {
            throw new InvalidOperationException(
                $"--vs-llamacpp needs the llama.cpp bench plugin, not found at {full}: build it with `dotnet build tests/EdgeLlm.Bench -c Release` or pass --llamacpp-plugin PATH");
        }

        var context = new PluginLoadContext(full);
        Assembly assembly = context.LoadFromAssemblyPath(full);
        Type? type = assembly.GetExportedTypes()
            .FirstOrDefault(t => typeof(IBenchBackendFactory).IsAssignableFrom(t) && !t.IsAbstract && t.GetConstructor(Type.EmptyTypes) is not null);
        return type is null
            ? throw new InvalidOperationException($"{full} has no public {nameof(IBenchBackendFactory)} with a parameterless constructor (built against another edgellm?)")
            : (IBenchBackendFactory)Activator.CreateInstance(type)!;
    }

    [RequiresUnreferencedCode("resolves the plugin's dependencies from its folder at run time")]
    private sealed class PluginLoadContext(string pluginPath) : AssemblyLoadContext("edgellm-bench-plugin")
    {
        private readonly AssemblyDependencyResolver _resolver = new(pluginPath);
        private readonly HashSet<string> _hostAssemblies = HostAssemblyNames();

        protected override Assembly? Load(AssemblyName name)
        {
            // Shared with the host: edgellm (the interfaces), the engine, the framework.
            if (name.Name is null || _hostAssemblies.Contains(name.Name))
            {
                return null;
            }

            string? path = _resolver.ResolveAssemblyToPath(name);
            return path is null ? null : LoadFromAssemblyPath(path);
        }

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
        {
            string? path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
            return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
        }

        private static HashSet<string> HostAssemblyNames()
        {
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            if (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is string tpa)
            {
                foreach (string p in tpa.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
                {
                    names.Add(Path.GetFileNameWithoutExtension(p));
                }
            }

            foreach (Assembly a in Default.Assemblies)
            {
                if (a.GetName().Name is { } n)
                {
                    names.Add(n);
                }
            }

            return names;
        }
    }
}
