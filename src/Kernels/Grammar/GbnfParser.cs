using System.Globalization;
using System.Text;

namespace EdgeLlm.Kernels.Grammar;

/// <summary>
/// Parses llama.cpp's GBNF: <c>name ::= alternatives</c> rules, string literals, character classes (<c>[a-z]</c>,
/// <c>[^"]</c>), <c>.</c>, groups, <c>* + ?</c> and <c>{m}</c> <c>{m,}</c> <c>{m,n}</c> repetitions, <c>#</c>
/// comments; a rule ends at a newline unless inside parentheses or after <c>|</c>. Repetitions are rewritten into
/// helper rules the way llama.cpp's parser does, so both engines see the same rule structure.
/// See docs/structured-output.md for what differs from llama.cpp (errors only).
/// </summary>
internal sealed class GbnfParser
{
    /// <summary>llama.cpp's limit on repetition counts.</summary>
    private const int MaxRepetitions = 2000;

    /// <summary>Keeps a hostile grammar from growing without bound through nested repetitions.</summary>
    private const int MaxElements = 1 << 20;

    private readonly string _src;
    private readonly GrammarRules _rules = new();
    private int _pos;
    private int _elements;

    private GbnfParser(string text) => _src = text;

    public static GrammarRules Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var p = new GbnfParser(text);
        p.ParseAll();
        return p._rules;
    }

    private char Cur => _pos < _src.Length ? _src[_pos] : '\0';

    private char At(int i) => _pos + i < _src.Length ? _src[_pos + i] : '\0';

    private bool AtEnd => _pos >= _src.Length;

    private GrammarException Error(string what) => GrammarException.Syntax(_src, _pos, what);

    private void ParseAll()
    {
        SkipSpace(newlineOk: true);
        if (AtEnd)
        {
            throw Error("the grammar is empty");
        }

        while (!AtEnd)
        {
            ParseRule();
        }

        foreach (var r in _rules.Rules)
        {
            if (!r.Defined)
            {
                _pos = r.FirstReference;
                throw Error($"rule '{r.Name}' is used but never defined");
            }
        }
    }

    private void ParseRule()
    {
        int start = _pos;
        string name = ParseName();
        SkipSpace(newlineOk: false);
        if (!(Cur == ':' && At(1) == ':' && At(2) == '='))
        {
            throw Error("expected '::=' after the rule name");
        }

        int id = _rules.Id(name);
        var rule = _rules.Rules[id];
        if (rule.Defined)
        {
            _pos = start;
            throw Error($"rule '{name}' is defined twice");
        }

        rule.Defined = true;
        rule.Offset = start;
        _pos += 3;
        SkipSpace(newlineOk: true);
        ParseAlternatives(rule, name, nested: false);
        if (Cur == '\r')
        {
            _pos += At(1) == '\n' ? 2 : 1;
        }
        else if (Cur == '\n')
        {
            _pos++;
        }
        else if (!AtEnd)
        {
            throw Error($"unexpected '{Cur}': expected a newline or the end of the rule");
        }

        SkipSpace(newlineOk: true);
    }

    private void ParseAlternatives(GrammarRule rule, string ruleName, bool nested)
    {
        rule.Alternatives.Add(ParseSequence(ruleName, nested));
        while (Cur == '|')
        {
            _pos++;
            SkipSpace(newlineOk: true);
            rule.Alternatives.Add(ParseSequence(ruleName, nested));
        }
    }

    private List<GrammarElement> ParseSequence(string ruleName, bool nested)
    {
        var seq = new List<GrammarElement>();
        int lastStart = -1; // index in seq where the last item (what a repetition applies to) starts
        while (!AtEnd)
        {
            int itemOffset = _pos;
            char c = Cur;
            if (c == '"')
            {
                _pos++;
                lastStart = seq.Count;
                while (Cur != '"')
                {
                    if (AtEnd)
                    {
                        _pos = itemOffset;
                        throw Error("unterminated string literal");
                    }

                    int at = _pos;
                    Add(seq, new GrammarElement(-1, CharSet.Single(ParseChar()), at));
                }

                _pos++;
                if (lastStart == seq.Count)
                {
                    lastStart = -1; // "" adds nothing a repetition could apply to
                }

                SkipSpace(nested);
            }
            else if (c == '[')
            {
                _pos++;
                bool negated = false;
                if (Cur == '^')
                {
                    negated = true;
                    _pos++;
                }

                var ranges = new List<(uint, uint)>();
                while (Cur != ']')
                {
                    if (AtEnd)
                    {
                        _pos = itemOffset;
                        throw Error("unterminated character class");
                    }

                    uint first = ParseChar();
                    uint last = first;
                    if (Cur == '-' && At(1) != ']')
                    {
                        _pos++;
                        if (AtEnd)
                        {
                            _pos = itemOffset;
                            throw Error("unterminated character class");
                        }

                        last = ParseChar();
                    }

                    ranges.Add((first, last));
                }

                _pos++;
                lastStart = seq.Count;
                Add(seq, new GrammarElement(-1, CharSet.Create(ranges, negated), itemOffset));
                SkipSpace(nested);
            }
            else if (IsWordChar(c))
            {
                string name = ParseName();
                int id = _rules.Id(name);
                if (_rules.Rules[id].FirstReference < 0)
                {
                    _rules.Rules[id].FirstReference = itemOffset;
                }

                lastStart = seq.Count;
                Add(seq, new GrammarElement(id, null, itemOffset));
                SkipSpace(nested);
            }
            else if (c == '(')
            {
                _pos++;
                SkipSpace(newlineOk: true);
                int sub = _rules.Generate(ruleName);
                _rules.Rules[sub].Offset = itemOffset;
                ParseAlternatives(_rules.Rules[sub], ruleName, nested: true);
                if (Cur != ')')
                {
                    throw Error(AtEnd ? "missing ')' at the end of the grammar" : $"unexpected '{Cur}': expected ')'");
                }

                _pos++;
                lastStart = seq.Count;
                Add(seq, new GrammarElement(sub, null, itemOffset));
                SkipSpace(nested);
            }
            else if (c == '.')
            {
                _pos++;
                lastStart = seq.Count;
                Add(seq, new GrammarElement(-1, CharSet.Any, itemOffset));
                SkipSpace(nested);
            }
            else if (c is '*' or '+' or '?')
            {
                _pos++;
                SkipSpace(nested);
                Repeat(seq, ref lastStart, ruleName, c == '+' ? 1 : 0, c == '?' ? 1 : -1, itemOffset);
            }
            else if (c == '{')
            {
                _pos++;
                SkipSpace(nested);
                int min = ParseCount();
                SkipSpace(nested);
                int max;
                if (Cur == '}')
                {
                    max = min;
                    _pos++;
                }
                else if (Cur == ',')
                {
                    _pos++;
                    SkipSpace(nested);
                    max = -1;
                    if (char.IsAsciiDigit(Cur))
                    {
                        max = ParseCount();
                        SkipSpace(nested);
                    }

                    if (Cur != '}')
                    {
                        throw Error("expected '}' to close the repetition");
                    }

                    _pos++;
                }
                else
                {
                    throw Error("expected ',' or '}' in the repetition");
                }

                SkipSpace(nested);
                if (min > MaxRepetitions)
                {
                    _pos = itemOffset;
                    throw Error($"repetition count {min} exceeds {MaxRepetitions}");
                }

                if (max > MaxRepetitions)
                {
                    max = -1; // as llama.cpp: a huge maximum means no maximum
                }

                if (max >= 0 && max < min)
                {
                    _pos = itemOffset;
                    throw Error($"repetition maximum {max} is below its minimum {min}");
                }

                Repeat(seq, ref lastStart, ruleName, min, max, itemOffset);
            }
            else if (c is '<' or '!')
            {
                throw Error("token references (<...>) are not supported: write the text instead");
            }
            else
            {
                break;
            }
        }

        return seq;
    }

    /// <summary>
    /// Rewrites the last item S of <paramref name="seq"/>, as llama.cpp does: S{m,n} becomes m copies of S followed by
    /// nested optional rules S'(k) ::= S S'(k-1) | ε; S{m,} becomes m copies and S' ::= S S' | ε.
    /// </summary>
    private void Repeat(List<GrammarElement> seq, ref int lastStart, string ruleName, int min, int max, int offset)
    {
        if (lastStart < 0 || lastStart >= seq.Count)
        {
            _pos = offset;
            throw Error("a repetition operator needs an item before it");
        }

        var item = seq.GetRange(lastStart, seq.Count - lastStart);
        seq.RemoveRange(lastStart, seq.Count - lastStart);
        for (int i = 0; i < min; i++)
        {
            foreach (var e in item)
            {
                Add(seq, e);
            }
        }

        bool unbounded = max < 0;
        int optional = unbounded ? 1 : max - min;
        int last = -1;
        for (int i = 0; i < optional; i++)
        {
            int id = _rules.Generate(ruleName);
            var rule = _rules.Rules[id];
            rule.Offset = offset;
            var first = new List<GrammarElement>(item);
            _elements += item.Count + 1;
            if (unbounded)
            {
                first.Add(new GrammarElement(id, null, offset));
            }
            else if (i > 0)
            {
                first.Add(new GrammarElement(last, null, offset));
            }

            rule.Alternatives.Add(first);
            rule.Alternatives.Add([]);
            last = id;
        }

        if (optional > 0)
        {
            Add(seq, new GrammarElement(last, null, offset));
        }

        // lastStart stays: as in llama.cpp a second operator (a{2}*) applies to what the first one produced
        if (_elements > MaxElements)
        {
            _pos = offset;
            throw Error($"the grammar expands to more than {MaxElements} elements");
        }
    }

    private void Add(List<GrammarElement> seq, GrammarElement e)
    {
        seq.Add(e);
        if (++_elements > MaxElements)
        {
            throw Error($"the grammar expands to more than {MaxElements} elements");
        }
    }

    private int ParseCount()
    {
        int start = _pos;
        while (char.IsAsciiDigit(Cur))
        {
            _pos++;
        }

        if (_pos == start)
        {
            throw Error("expected a number");
        }

        if (!int.TryParse(_src.AsSpan(start, _pos - start), NumberStyles.None, CultureInfo.InvariantCulture, out int n))
        {
            n = int.MaxValue;
        }

        return n;
    }

    private string ParseName()
    {
        int start = _pos;
        while (IsWordChar(Cur))
        {
            _pos++;
        }

        if (_pos == start)
        {
            throw Error(AtEnd ? "expected a rule name at the end of the grammar" : $"unexpected '{Cur}': expected a rule name");
        }

        return _src[start.._pos];
    }

    /// <summary>One character of a literal or class: an escape or a Unicode scalar value.</summary>
    private uint ParseChar()
    {
        if (Cur == '\\')
        {
            char e = At(1);
            _pos += 2;
            switch (e)
            {
                case 'x': return ParseHex(2);
                case 'u': return ParseHex(4);
                case 'U': return ParseHex(8);
                case 't': return '\t';
                case 'r': return '\r';
                case 'n': return '\n';
                case '\\' or '"' or '[' or ']' or '-': return e;
                default:
                    _pos -= 2;
                    throw Error(e == '\0' ? "unterminated escape" : $"unknown escape '\\{e}'");
            }
        }

        if (Rune.DecodeFromUtf16(_src.AsSpan(_pos), out Rune r, out int used) != System.Buffers.OperationStatus.Done)
        {
            throw Error("invalid UTF-16 in the grammar text");
        }

        _pos += used;
        return (uint)r.Value;
    }

    private uint ParseHex(int digits)
    {
        uint v = 0;
        for (int i = 0; i < digits; i++)
        {
            int d = HexDigit(Cur);
            if (d < 0)
            {
                throw Error($"expected {digits} hex digits");
            }

            v = (v << 4) | (uint)d;
            _pos++;
        }

        return v;
    }

    private static int HexDigit(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    internal static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '-';

    private void SkipSpace(bool newlineOk)
    {
        while (!AtEnd)
        {
            char c = Cur;
            if (c is ' ' or '\t' || (newlineOk && c is '\r' or '\n'))
            {
                _pos++;
            }
            else if (c == '#')
            {
                while (!AtEnd && Cur is not '\r' and not '\n')
                {
                    _pos++;
                }
            }
            else
            {
                break;
            }
        }
    }
}
