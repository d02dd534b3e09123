using System.Runtime.InteropServices;

namespace EdgeLlm.Device.Speech;

/// <summary>
/// The PocketSphinx entry points as function pointers, resolved by name from whichever library is installed
/// (docs/voice.md, "PocketSphinx versions"). <see cref="FromExports"/> is the seam: it picks the API from the export
/// names alone, so the 5.x selection is tested with a fake export table on a machine that only has 0.8.
/// </summary>
internal sealed unsafe class PocketSphinxLibrary
{
    /// <summary>Tried in this order: 5.x first, then Debian's 0.8 (whose cmd_ln/err/logmath live in sphinxbase).</summary>
    internal static readonly string[] LibraryNames =
        ["libpocketsphinx.so.5", "libpocketsphinx.so.3", "libsphinxbase.so.3", "libpocketsphinx.so"];

    internal const string InstallHint = "install libpocketsphinx3 pocketsphinx-en-us (Debian 12 / bookworm) or libpocketsphinx5 pocketsphinx-en-us (Debian 13 / trixie)";

    private static readonly string[] Common =
    [
        "ps_init", "ps_free", "ps_start_utt", "ps_process_raw", "ps_end_utt", "ps_get_hyp", "ps_get_prob",
        "ps_get_logmath", "logmath_exp", "err_set_logfile", "err_set_logfp",
    ];

    private static readonly string[] Only08 = ["ps_args", "cmd_ln_parse_r", "cmd_ln_free_r", "ps_set_jsgf_string", "ps_set_search"];

    private static readonly string[] Only5 = ["ps_config_init", "ps_config_set_str", "ps_config_free", "ps_add_jsgf_string", "ps_activate_search"];

    private static readonly Lazy<PocketSphinxLibrary> Installed = new(LoadInstalled);

    private PocketSphinxLibrary(PocketSphinxApi api, string description, Func<string, nint> export)
    {
        Api = api;
        Description = description;
        Init = (delegate* unmanaged[Cdecl]<nint, nint>)export("ps_init");
        Free = (delegate* unmanaged[Cdecl]<nint, int>)export("ps_free");
        StartUtt = (delegate* unmanaged[Cdecl]<nint, int>)export("ps_start_utt");
        ProcessRaw = (delegate* unmanaged[Cdecl]<nint, short*, nuint, int, int, int>)export("ps_process_raw");
        EndUtt = (delegate* unmanaged[Cdecl]<nint, int>)export("ps_end_utt");
        GetHyp = (delegate* unmanaged[Cdecl]<nint, int*, nint>)export("ps_get_hyp");
        GetProb = (delegate* unmanaged[Cdecl]<nint, int>)export("ps_get_prob");
        GetLogmath = (delegate* unmanaged[Cdecl]<nint, nint>)export("ps_get_logmath");
        LogmathExp = (delegate* unmanaged[Cdecl]<nint, int, double>)export("logmath_exp");
        SetLogfile = (delegate* unmanaged[Cdecl]<byte*, int>)export("err_set_logfile");
        SetLogfp = (delegate* unmanaged[Cdecl]<nint, void>)export("err_set_logfp");
        if (api == PocketSphinxApi.Sphinx08)
        {
            Args = (delegate* unmanaged[Cdecl]<nint>)export("ps_args");
            CmdLnParse = (delegate* unmanaged[Cdecl]<nint, nint, int, byte**, int, nint>)export("cmd_ln_parse_r");
            ConfigFree = (delegate* unmanaged[Cdecl]<nint, int>)export("cmd_ln_free_r");
            AddJsgf = (delegate* unmanaged[Cdecl]<nint, byte*, byte*, int>)export("ps_set_jsgf_string");
            ActivateSearch = (delegate* unmanaged[Cdecl]<nint, byte*, int>)export("ps_set_search");
        }
        else
        {
            ConfigInit = (delegate* unmanaged[Cdecl]<nint, nint>)export("ps_config_init");
            ConfigSetStr = (delegate* unmanaged[Cdecl]<nint, byte*, byte*, nint>)export("ps_config_set_str");
            ConfigFree = (delegate* unmanaged[Cdecl]<nint, int>)export("ps_config_free");
            AddJsgf = (delegate* unmanaged[Cdecl]<nint, byte*, byte*, int>)export("ps_add_jsgf_string");
            ActivateSearch = (delegate* unmanaged[Cdecl]<nint, byte*, int>)export("ps_activate_search");
        }
    }

    public PocketSphinxApi Api { get; }

    /// <summary>"pocketsphinx-0.8" or "pocketsphinx-5".</summary>
    public string Description { get; }

    public delegate* unmanaged[Cdecl]<nint, nint> Init { get; }

    public delegate* unmanaged[Cdecl]<nint, int> Free { get; }

    public delegate* unmanaged[Cdecl]<nint, int> StartUtt { get; }

    public delegate* unmanaged[Cdecl]<nint, short*, nuint, int, int, int> ProcessRaw { get; }

    public delegate* unmanaged[Cdecl]<nint, int> EndUtt { get; }

    public delegate* unmanaged[Cdecl]<nint, int*, nint> GetHyp { get; }

    public delegate* unmanaged[Cdecl]<nint, int> GetProb { get; }

    public delegate* unmanaged[Cdecl]<nint, nint> GetLogmath { get; }

    public delegate* unmanaged[Cdecl]<nint, int, double> LogmathExp { get; }

    public delegate* unmanaged[Cdecl]<byte*, int> SetLogfile { get; }

    public delegate* unmanaged[Cdecl]<nint, void> SetLogfp { get; }

    /// <summary>0.8: <c>ps_args()</c>, the argument definitions <c>cmd_ln_parse_r</c> needs.</summary>
    public delegate* unmanaged[Cdecl]<nint> Args { get; }

    /// <summary>0.8: <c>cmd_ln_parse_r(NULL, defn, argc, argv, strict)</c> (not the variadic cmd_ln_init, which
    /// P/Invoke cannot call portably).</summary>
    public delegate* unmanaged[Cdecl]<nint, nint, int, byte**, int, nint> CmdLnParse { get; }

    /// <summary>5.x: <c>ps_config_init(NULL)</c>.</summary>
    public delegate* unmanaged[Cdecl]<nint, nint> ConfigInit { get; }

    /// <summary>5.x: <c>ps_config_set_str(config, name, value)</c>; NULL on an unknown name.</summary>
    public delegate* unmanaged[Cdecl]<nint, byte*, byte*, nint> ConfigSetStr { get; }

    /// <summary><c>cmd_ln_free_r</c> (0.8) or <c>ps_config_free</c> (5.x).</summary>
    public delegate* unmanaged[Cdecl]<nint, int> ConfigFree { get; }

    /// <summary><c>ps_set_jsgf_string</c> (0.8) or <c>ps_add_jsgf_string</c> (5.x): (ps, name, text).</summary>
    public delegate* unmanaged[Cdecl]<nint, byte*, byte*, int> AddJsgf { get; }

    /// <summary><c>ps_set_search</c> (0.8) or <c>ps_activate_search</c> (5.x): (ps, name).</summary>
    public delegate* unmanaged[Cdecl]<nint, byte*, int> ActivateSearch { get; }

    /// <summary>The installed library, loaded once; <see cref="SpeechException"/> with the packages to install.</summary>
    public static PocketSphinxLibrary Load() => Installed.Value;

    /// <summary>Chooses the API from the names <paramref name="export"/> resolves (0 = absent) and binds them all.</summary>
    internal static PocketSphinxLibrary FromExports(Func<string, nint> export, string where)
    {
        PocketSphinxApi api;
        string[] needed;
        if (export("ps_config_init") != 0 && export("ps_add_jsgf_string") != 0)
        {
            api = PocketSphinxApi.Sphinx5;
            needed = [.. Common, .. Only5];
        }
        else if (export("cmd_ln_parse_r") != 0 && export("ps_set_jsgf_string") != 0)
        {
            api = PocketSphinxApi.Sphinx08;
            needed = [.. Common, .. Only08];
        }
        else
        {
            throw new SpeechException($"PocketSphinx: {where} has neither the 5.x API (ps_config_init, ps_add_jsgf_string) nor the 0.8 API (cmd_ln_parse_r, ps_set_jsgf_string): {InstallHint}");
        }

        string[] missing = [.. needed.Where(n => export(n) == 0)];
        if (missing.Length > 0)
        {
            throw new SpeechException($"PocketSphinx {(api == PocketSphinxApi.Sphinx5 ? "5.x" : "0.8")}: {where} lacks {string.Join(", ", missing)}: {InstallHint}");
        }

        return new PocketSphinxLibrary(api, api == PocketSphinxApi.Sphinx5 ? "pocketsphinx-5" : "pocketsphinx-0.8", export);
    }

    private static PocketSphinxLibrary LoadInstalled()
    {
        var handles = new List<(string Name, nint Handle)>();
        foreach (string name in LibraryNames)
        {
            if (NativeLibrary.TryLoad(name, out nint handle))
            {
                handles.Add((name, handle));
            }
        }

        if (!handles.Any(h => h.Name.StartsWith("libpocketsphinx", StringComparison.Ordinal)))
        {
            throw new SpeechException($"PocketSphinx is not installed (no libpocketsphinx.so.5 or .so.3): {InstallHint}");
        }

        // 5.x must not be mixed with 0.8's sphinxbase: when libpocketsphinx.so.5 loaded, only it is searched.
        var search = handles.Any(h => h.Name == "libpocketsphinx.so.5") ? handles.Where(h => h.Name == "libpocketsphinx.so.5").ToList() : handles;
        return FromExports(
            name =>
            {
                foreach (var (_, handle) in search)
                {
                    if (NativeLibrary.TryGetExport(handle, name, out nint address))
                    {
                        return address;
                    }
                }

                return 0;
            },
            string.Join(" + ", search.Select(h => h.Name)));
    }
}
