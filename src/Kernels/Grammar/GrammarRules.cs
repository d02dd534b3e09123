namespace EdgeLlm.Kernels.Grammar;

/// <summary>One element of a rule alternative: a character set, or a reference to a rule.</summary>
/// <param name="Rule">The referenced rule, or -1 for a character.</param>
/// <param name="Set">The characters one element matches (when <paramref name="Rule"/> is -1).</param>
/// <param name="Offset">Where in the grammar text the element was written (for errors).</param>
internal readonly record struct GrammarElement(int Rule, CharSet? Set, int Offset)
{
    public bool IsRule => Rule >= 0;
}

/// <summary>A rule: alternatives, each a sequence of elements (an empty sequence matches the empty string).</summary>
internal sealed class GrammarRule(string name)
{
    public string Name { get; } = name;

    public List<List<GrammarElement>> Alternatives { get; } = [];

    /// <summary>Offset of the definition in the text; -1 until defined (or for rules the parser made up).</summary>
    public int Offset { get; set; } = -1;

    public bool Defined { get; set; }

    /// <summary>Offset of the first reference, for "undefined rule" errors.</summary>
    public int FirstReference { get; set; } = -1;
}

/// <summary>The rules of a grammar as parsed, before they are compiled into the flat form the matcher runs.</summary>
internal sealed class GrammarRules
{
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);

    public List<GrammarRule> Rules { get; } = [];

    public int Id(string name)
    {
        if (!_ids.TryGetValue(name, out int id))
        {
            id = Rules.Count;
            _ids[name] = id;
            Rules.Add(new GrammarRule(name));
        }

        return id;
    }

    public bool TryGetId(string name, out int id) => _ids.TryGetValue(name, out id);

    /// <summary>A fresh rule named after <paramref name="baseName"/> (groups and repetitions), as llama.cpp names them.</summary>
    public int Generate(string baseName)
    {
        int id = Rules.Count;
        string name = $"{baseName}_{id}";
        while (_ids.ContainsKey(name))
        {
            name += "_";
        }

        _ids[name] = id;
        Rules.Add(new GrammarRule(name) { Defined = true });
        return id;
    }
}
