namespace EdgeLlm.Kernels.Grammar;

/// <summary>
/// A UTF-8 character read partly: the bits so far, how many continuation bytes are still due, and the sequence length
/// (for the overlong check). A token may end in the middle of a character (byte-fallback tokens do).
/// </summary>
internal readonly record struct Utf8Partial(uint Value, int Remain, int Need)
{
    public static readonly Utf8Partial None;

    public bool IsNone => Remain == 0;

    /// <summary>Smallest scalar value a sequence of each length may encode (shorter encodings are overlong, invalid).</summary>
    public static uint MinFor(int need) => need switch
    {
        2 => 0x80,
        3 => 0x800,
        4 => 0x10000,
        _ => 0,
    };
}
