using EdgeLlm.Device.Speech;
using NUnit.Framework;

namespace EdgeLlm.Device.Tests.Speech;

/// <summary>
/// The API choice made from export names alone. PocketSphinx 5.x cannot be installed on this machine (Debian 12), so
/// its selection is proven with fake export tables (the addresses are never called); the installed 0.8 library is
/// proven for real in <see cref="PocketSphinxTests"/> and here.
/// </summary>
public class PocketSphinxExportTests
{
    private static readonly string[] Common =
    [
        "ps_init", "ps_free", "ps_start_utt", "ps_process_raw", "ps_end_utt", "ps_get_hyp", "ps_get_prob",
        "ps_get_logmath", "logmath_exp", "err_set_logfile", "err_set_logfp",
    ];

    private static readonly string[] V5 = [.. Common, "ps_config_init", "ps_config_set_str", "ps_config_free", "ps_add_jsgf_string", "ps_activate_search", "ps_args"];

    private static readonly string[] V08 = [.. Common, "ps_args", "cmd_ln_parse_r", "cmd_ln_free_r", "cmd_ln_init", "ps_set_jsgf_string", "ps_set_search"];

    private static Func<string, nint> Table(IEnumerable<string> names)
    {
        var map = names.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => (nint)(0x1000 + 16 * p.i));
        return name => map.GetValueOrDefault(name);
    }

    [Test]
    public void FiveExportsChooseTheFiveApi()
    {
        var lib = PocketSphinxLibrary.FromExports(Table(V5), "libpocketsphinx.so.5");
        Assert.That(lib.Api, Is.EqualTo(PocketSphinxApi.Sphinx5));
        Assert.That(lib.Description, Is.EqualTo("pocketsphinx-5"));
    }

    [Test]
    public unsafe void TheFiveApiBindsTheRenamedFunctions()
    {
        var table = Table(V5);
        var lib = PocketSphinxLibrary.FromExports(table, "fake");
        Assert.That((nint)lib.AddJsgf, Is.EqualTo(table("ps_add_jsgf_string")));
        Assert.That((nint)lib.ActivateSearch, Is.EqualTo(table("ps_activate_search")));
        Assert.That((nint)lib.ConfigInit, Is.EqualTo(table("ps_config_init")));
        Assert.That((nint)lib.ConfigFree, Is.EqualTo(table("ps_config_free")));
        Assert.That((nint)lib.CmdLnParse, Is.EqualTo((nint)0));
    }

    [Test]
    public unsafe void OhEightExportsChooseTheOhEightApi()
    {
        var table = Table(V08);
        var lib = PocketSphinxLibrary.FromExports(table, "libpocketsphinx.so.3 + libsphinxbase.so.3");
        Assert.That(lib.Api, Is.EqualTo(PocketSphinxApi.Sphinx08));
        Assert.That((nint)lib.AddJsgf, Is.EqualTo(table("ps_set_jsgf_string")));
        Assert.That((nint)lib.ActivateSearch, Is.EqualTo(table("ps_set_search")));
        Assert.That((nint)lib.CmdLnParse, Is.EqualTo(table("cmd_ln_parse_r")));
        Assert.That((nint)lib.ConfigFree, Is.EqualTo(table("cmd_ln_free_r")));
        Assert.That((nint)lib.ConfigInit, Is.EqualTo((nint)0));
    }

    [Test]
    public void NeitherApiSaysWhatToInstall()
    {
        var e = Assert.Throws<SpeechException>(() => PocketSphinxLibrary.FromExports(Table(Common), "libpocketsphinx.so"))!;
        Assert.That(e.Message, Does.Contain("neither the 5.x API").And.Contain("install libpocketsphinx3 pocketsphinx-en-us"));
    }

    [Test]
    public void AMissingFunctionIsNamed()
    {
        var e = Assert.Throws<SpeechException>(() => PocketSphinxLibrary.FromExports(Table(V5.Where(n => n != "ps_get_prob")), "libpocketsphinx.so.5"))!;
        Assert.That(e.Message, Does.StartWith("PocketSphinx 5.x: libpocketsphinx.so.5 lacks ps_get_prob:"));
    }

    [Test]
    public void TheInstalledLibraryHereIsOhEight()
    {
        var lib = PocketSphinxLibrary.Load();
        Assert.That(lib.Api, Is.EqualTo(PocketSphinxApi.Sphinx08));
        Assert.That(PocketSphinxLibrary.LibraryNames[0], Is.EqualTo("libpocketsphinx.so.5"), "5.x is preferred where both exist");
    }
}
