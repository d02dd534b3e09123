namespace EdgeLlm.Kernels.Grammar;

/// <summary>
/// A context-free grammar over Unicode text, compiled for constrained decoding: from GBNF (llama.cpp's syntax) or from
/// a JSON Schema. Immutable and independent of any vocabulary; bind it to one with <see cref="TokenGrammar"/>
/// (generation does that itself and keeps the binding, so reusing one instance reuses its mask cache).
/// How it works and what it supports: docs/structured-output.md.
/// </summary>
public sealed class CompiledGrammar
{
    internal const int AltEnd = -1;
    internal const int RefBase = 1 << 28;

    /// <summary>Rules with at most this many alternatives and elements are inlined where they start an alternative.</summary>
    private const int InlineMaxAlternatives = 8;
    private const int InlineMaxElements = 48;
    private const int InlineMaxResultAlternatives = 64;

    private CompiledGrammar(string gbnf, int[] code, CharSet[] sets, int[] altBegin, int[] altPos, int startPos, string[] ruleNames)
    {
        Gbnf = gbnf;
        Code = code;
        Sets = sets;
        AltBegin = altBegin;
        AltPos = altPos;
        StartPosition = startPos;
        RuleNames = ruleNames;
    }

    /// <summary>The grammar as GBNF text: what it was compiled from, or what a JSON Schema was translated into.</summary>
    public string Gbnf { get; }

    /// <summary>Number of positions of the compiled form (rule elements and alternative ends).</summary>
    public int Size => Code.Length;

    /// <summary>
    /// The flat program: per rule its alternatives back to back, each a run of elements ended by <see cref="AltEnd"/>.
    /// An element is a character set index (0 ≤ x &lt; <see cref="RefBase"/>) or <see cref="RefBase"/> + a rule id.
    /// </summary>
    internal int[] Code { get; }

    internal CharSet[] Sets { get; }

    /// <summary>Alternatives of rule r start at AltPos[AltBegin[r] .. AltBegin[r + 1]).</summary>
    internal int[] AltBegin { get; }

    internal int[] AltPos { get; }

    /// <summary>A position holding a reference to the root rule, followed by an alternative end.</summary>
    internal int StartPosition { get; }

    internal string[] RuleNames { get; }

    /// <summary>Some rules can reach themselves matching nothing, at the end of an alternative (the stepper must cut the loop).</summary>
    internal bool HasEmptyCycles { get; private init; }

    /// <summary>Whether <paramref name="text"/> is a sentence of the grammar.</summary>
    public bool Matches(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new GrammarState(this).Matches(System.Text.Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Parses GBNF text; <paramref name="root"/> names the start rule.</summary>
    /// <exception cref="GrammarException">A syntax error (with line and column), an undefined rule, left recursion, or a grammar no string matches.</exception>
    public static CompiledGrammar FromGbnf(string gbnf, string root = "root")
    {
        var rules = GbnfParser.Parse(gbnf);
        return Compile(gbnf, rules, root);
    }

    /// <summary>Compiles a JSON Schema (the subset in docs/structured-output.md) into a grammar of the JSON texts it accepts.</summary>
    /// <exception cref="GrammarException">A keyword outside the subset (naming it and its JSON pointer), or an unsatisfiable schema.</exception>
    public static CompiledGrammar FromJsonSchema(string schemaJson) => FromGbnf(JsonSchemaGbnf.Translate(schemaJson));

    /// <inheritdoc cref="FromJsonSchema(string)"/>
    public static CompiledGrammar FromJsonSchema(System.Text.Json.JsonElement schema) => FromGbnf(JsonSchemaGbnf.Translate(schema));

    private static CompiledGrammar Compile(string text, GrammarRules parsed, string root)
    {
        var rules = parsed.Rules;
        if (!parsed.TryGetId(root, out int rootId) || !rules[rootId].Defined)
        {
            throw new GrammarException($"GBNF error: the grammar has no rule named '{root}'");
        }

        int n = rules.Count;
        bool[] nullable = Fixpoint(rules, (e, known) => e.IsRule && known[e.Rule]);
        bool tailCycles = CheckLeftRecursion(text, rules, nullable);
        bool[] productive = Fixpoint(rules, (e, known) => e.IsRule ? known[e.Rule] : !e.Set!.IsEmpty);
        if (!productive[rootId])
        {
            throw GrammarException.Syntax(text, Math.Max(rules[rootId].Offset, 0), $"rule '{root}' matches no string: every alternative needs a rule that never finishes or an empty character class");
        }

        var alts = rules.Select(r => r.Alternatives.Select(a => a.ToList()).ToList()).ToList();
        Inline(alts, Recursive(rules));

        // Emit only what the root reaches.
        var reach = new List<int>();
        var index = new int[n];
        Array.Fill(index, -1);
        var todo = new Stack<int>();
        todo.Push(rootId);
        index[rootId] = reach.Count;
        reach.Add(rootId);
        while (todo.Count > 0)
        {
            int r = todo.Pop();
            foreach (var alt in alts[r])
            {
                foreach (var e in alt)
                {
                    if (e.IsRule && index[e.Rule] < 0)
                    {
                        index[e.Rule] = reach.Count;
                        reach.Add(e.Rule);
                        todo.Push(e.Rule);
                    }
                }
            }
        }

        var code = new List<int>();
        var sets = new List<CharSet>();
        var setIds = new Dictionary<CharSet, int>();
        var altBegin = new int[reach.Count + 1];
        var altPos = new List<int>();
        for (int k = 0; k < reach.Count; k++)
        {
            altBegin[k] = altPos.Count;
            foreach (var alt in alts[reach[k]])
            {
                altPos.Add(code.Count);
                foreach (var e in alt)
                {
                    if (e.IsRule)
                    {
                        code.Add(RefBase + index[e.Rule]);
                    }
                    else
                    {
                        if (!setIds.TryGetValue(e.Set!, out int id))
                        {
                            id = sets.Count;
                            sets.Add(e.Set!);
                            setIds[e.Set!] = id;
                        }

                        code.Add(id);
                    }
                }

                code.Add(AltEnd);
            }
        }

        altBegin[reach.Count] = altPos.Count;
        int start = code.Count;
        code.Add(RefBase + index[rootId]);
        code.Add(AltEnd);
        return new CompiledGrammar(text, [.. code], [.. sets], altBegin, [.. altPos], start, reach.Select(r => rules[r].Name).ToArray()) { HasEmptyCycles = tailCycles };
    }

    /// <summary>Least fixpoint of "some alternative has every element satisfying <paramref name="holds"/>".</summary>
    private static bool[] Fixpoint(List<GrammarRule> rules, Func<GrammarElement, bool[], bool> holds)
    {
        var known = new bool[rules.Count];
        bool changed = true;
        while (changed)
        {
            changed = false;
            for (int r = 0; r < rules.Count; r++)
            {
                if (!known[r] && rules[r].Alternatives.Any(a => a.All(e => holds(e, known))))
                {
                    known[r] = true;
                    changed = true;
                }
            }
        }

        return known;
    }

    /// <summary>
    /// A rule that can reach itself before consuming a character, through a reference with more elements after it, would
    /// grow the stack forever: rejected, like llama.cpp rejects left recursion (our check also sees prefixes that are
    /// empty through other rules). A cycle of references that end their alternatives (<c>( "a"? )*</c>) keeps the stack
    /// as it is; it is allowed and the stepper cuts it off (returns true then).
    /// </summary>
    private static bool CheckLeftRecursion(string text, List<GrammarRule> rules, bool[] nullable)
    {
        int n = rules.Count;
        var edges = new List<(int To, bool Grows)>[n];
        for (int r = 0; r < n; r++)
        {
            edges[r] = [];
            foreach (var alt in rules[r].Alternatives)
            {
                for (int i = 0; i < alt.Count; i++)
                {
                    var e = alt[i];
                    if (e.IsRule)
                    {
                        edges[r].Add((e.Rule, i < alt.Count - 1));
                    }

                    if (!(e.IsRule && nullable[e.Rule]))
                    {
                        break;
                    }
                }
            }
        }

        int[] component = StronglyConnected(n, r => edges[r].Select(x => x.To));
        bool tailCycles = false;
        for (int r = 0; r < n; r++)
        {
            foreach (var (to, grows) in edges[r])
            {
                if (component[to] != component[r])
                {
                    continue;
                }

                if (grows)
                {
                    throw GrammarException.Syntax(text, Math.Max(rules[r].Offset, 0), $"left recursion: rule '{rules[r].Name}' can reach itself without matching a character");
                }

                tailCycles = true;
            }
        }

        return tailCycles;
    }

    /// <summary>Tarjan's strongly connected components: component id per node.</summary>
    private static int[] StronglyConnected(int n, Func<int, IEnumerable<int>> next)
    {
        var index = new int[n];
        var low = new int[n];
        var comp = new int[n];
        var onStack = new bool[n];
        var stack = new Stack<int>();
        Array.Fill(index, -1);
        int counter = 0, comps = 0;

        void Visit(int v)
        {
            index[v] = low[v] = counter++;
            stack.Push(v);
            onStack[v] = true;
            foreach (int w in next(v))
            {
                if (index[w] < 0)
                {
                    Visit(w);
                    low[v] = Math.Min(low[v], low[w]);
                }
                else if (onStack[w])
                {
                    low[v] = Math.Min(low[v], index[w]);
                }
            }

            if (low[v] == index[v])
            {
                int w;
                do
                {
                    w = stack.Pop();
                    onStack[w] = false;
                    comp[w] = comps;
                }
                while (w != v);
                comps++;
            }
        }

        for (int v = 0; v < n; v++)
        {
            if (index[v] < 0)
            {
                Visit(v);
            }
        }

        return comp;
    }

    /// <summary>Rules on a reference cycle (they cannot be inlined).</summary>
    private static bool[] Recursive(List<GrammarRule> rules)
    {
        int n = rules.Count;
        var result = new bool[n];
        for (int r = 0; r < n; r++)
        {
            // does r reach itself? (grammars are small; a DFS per rule is fine)
            var seen = new bool[n];
            var stack = new Stack<int>();
            stack.Push(r);
            while (stack.Count > 0 && !result[r])
            {
                int x = stack.Pop();
                foreach (var alt in rules[x].Alternatives)
                {
                    foreach (var e in alt)
                    {
                        if (!e.IsRule)
                        {
                            continue;
                        }

                        if (e.Rule == r)
                        {
                            result[r] = true;
                            break;
                        }

                        if (!seen[e.Rule])
                        {
                            seen[e.Rule] = true;
                            stack.Push(e.Rule);
                        }
                    }
                }
            }
        }

        return result;
    }

    /// <summary>
    /// Replaces a reference that starts an alternative by the referenced rule's alternatives, when that rule is small
    /// and not recursive. The language does not change; what changes is where a character class sits: <c>( [^"] | "\\" esc )*</c>
    /// becomes <c>x ::= [^"] x | "\\" esc x | ε</c>, so after one character the parser stays inside x instead of finishing a
    /// rule, and the mask cache can decide most tokens from x alone (docs/structured-output.md, "Masks").
    /// </summary>
    private static void Inline(List<List<List<GrammarElement>>> alts, bool[] recursive)
    {
        bool Small(int r) => !recursive[r] && alts[r].Count <= InlineMaxAlternatives && alts[r].Sum(a => a.Count) <= InlineMaxElements;

        for (int r = 0; r < alts.Count; r++)
        {
            var list = alts[r];
            for (int i = 0; i < list.Count;)
            {
                var alt = list[i];
                if (alt.Count > 0 && alt[0].IsRule && alt[0].Rule != r && Small(alt[0].Rule)
                    && list.Count - 1 + alts[alt[0].Rule].Count <= InlineMaxResultAlternatives)
                {
                    var rest = alt.GetRange(1, alt.Count - 1);
                    var replacement = alts[alt[0].Rule].Select(a => a.Concat(rest).ToList()).ToList();
                    list.RemoveAt(i);
                    list.InsertRange(i, replacement);
                    continue; // the new first alternative may start with a reference too
                }

                i++;
            }
        }
    }
}
