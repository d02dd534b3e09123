namespace EdgeLlm.Kernels.Grammar;

/// <summary>
/// Where a grammar stands after some bytes of text: the set of live parses (and a UTF-8 character read partly).
/// Feeds bytes one at a time; a rejected byte leaves the state as it was. Not thread-safe; allocation-free once warm.
/// </summary>
public sealed class GrammarState
{
    private readonly GrammarStepper _stepper;
    private StackSet _current = new();
    private StackSet _spare = new();

    public GrammarState(CompiledGrammar grammar)
    {
        ArgumentNullException.ThrowIfNull(grammar);
        _stepper = new GrammarStepper(grammar);
        Reset();
    }

    internal GrammarState(GrammarStepper stepper)
    {
        this._stepper = stepper;
        Reset();
    }

    public CompiledGrammar Grammar => _stepper.Grammar;

    /// <summary>Bytes accepted since the last <see cref="Reset"/>.</summary>
    public int Position { get; private set; }

    /// <summary>The text so far is a complete sentence of the grammar (EOS may follow).</summary>
    public bool CanEnd => Partial.IsNone && _current.HasEmpty;

    /// <summary>Nothing may follow: the text is complete and no parse can take another character.</summary>
    public bool IsComplete => CanEnd && !_current.HasLive;

    internal StackSet Stacks => _current;

    internal Utf8Partial Partial { get; private set; }

    internal GrammarStepper Stepper => _stepper;

    public void Reset()
    {
        _stepper.Initial(_current);
        Partial = Utf8Partial.None;
        Position = 0;
    }

    /// <summary>Consumes <paramref name="b"/> if the grammar allows it here; otherwise returns false and changes nothing.</summary>
    public bool TryAccept(byte b)
    {
        if (!_stepper.Step(_current, Partial, b, _spare, out var next) || _spare.Count == 0)
        {
            return false;
        }

        (_current, _spare) = (_spare, _current);
        Partial = next;
        Position++;
        return true;
    }

    /// <summary>
    /// Consumes bytes while the grammar allows them. Returns how many were taken: <paramref name="bytes"/>.Length
    /// when all were; otherwise the index of the first rejected byte (the state then stands before it).
    /// </summary>
    public int Accept(ReadOnlySpan<byte> bytes)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            if (!TryAccept(bytes[i]))
            {
                return i;
            }
        }

        return bytes.Length;
    }

    /// <summary>Whether the whole of <paramref name="text"/> (UTF-8) is a sentence of the grammar, from a fresh state.</summary>
    public bool Matches(ReadOnlySpan<byte> text)
    {
        Reset();
        return Accept(text) == text.Length && CanEnd;
    }
}
