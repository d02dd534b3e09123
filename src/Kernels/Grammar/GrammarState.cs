namespace EdgeLlm.Kernels.Grammar;

/// <summary>
/// Where a grammar stands after some bytes of text: the set of live parses (and a UTF-8 character read partly).
/// Feeds bytes one at a time; a rejected byte leaves the state as it was. Not thread-safe; allocation-free once warm.
/// </summary>
public sealed class GrammarState
{
    private readonly GrammarStepper stepper;
    private StackSet current = new();
    private StackSet spare = new();

    public GrammarState(CompiledGrammar grammar)
    {
        ArgumentNullException.ThrowIfNull(grammar);
        stepper = new GrammarStepper(grammar);
        Reset();
    }

    internal GrammarState(GrammarStepper stepper)
    {
        this.stepper = stepper;
        Reset();
    }

    public CompiledGrammar Grammar => stepper.Grammar;

    /// <summary>Bytes accepted since the last <see cref="Reset"/>.</summary>
    public int Position { get; private set; }

    /// <summary>The text so far is a complete sentence of the grammar (EOS may follow).</summary>
    public bool CanEnd => Partial.IsNone && current.HasEmpty;

    /// <summary>Nothing may follow: the text is complete and no parse can take another character.</summary>
    public bool IsComplete => CanEnd && !current.HasLive;

    internal StackSet Stacks => current;

    internal Utf8Partial Partial { get; private set; }

    internal GrammarStepper Stepper => stepper;

    public void Reset()
    {
        stepper.Initial(current);
        Partial = Utf8Partial.None;
        Position = 0;
    }

    /// <summary>Consumes <paramref name="b"/> if the grammar allows it here; otherwise returns false and changes nothing.</summary>
    public bool TryAccept(byte b)
    {
        if (!stepper.Step(current, Partial, b, spare, out var next) || spare.Count == 0)
        {
            return false;
        }

        (current, spare) = (spare, current);
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
