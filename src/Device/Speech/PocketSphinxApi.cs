namespace EdgeLlm.Device.Speech;

/// <summary>Which PocketSphinx C API the loaded library exports (docs/voice.md, "PocketSphinx versions").</summary>
public enum PocketSphinxApi
{
    /// <summary>Debian 12 / Raspberry Pi OS bookworm "0.8+5prealpha": libpocketsphinx.so.3 + libsphinxbase.so.3;
    /// configured with <c>cmd_ln_parse_r</c>, grammars by <c>ps_set_jsgf_string</c> + <c>ps_set_search</c>.</summary>
    Sphinx08,

    /// <summary>Debian 13 / trixie 5.x: libpocketsphinx.so.5 alone; configured with <c>ps_config_init</c> +
    /// <c>ps_config_set_str</c>, grammars by <c>ps_add_jsgf_string</c> + <c>ps_activate_search</c>.</summary>
    Sphinx5,
}
