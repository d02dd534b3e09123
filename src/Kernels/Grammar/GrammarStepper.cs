namespace EdgeLlm.Kernels.Grammar;

/// <summary>
/// The pushdown step of the matcher, as llama.cpp's grammar runs it but over bytes: a stack is a list of grammar
/// positions whose top is always a character set; matching a character advances the top, and reaching a rule
/// reference or the end of an alternative expands into every stack that can follow. Owns a scratch buffer, so one
/// instance per thread; nothing is allocated once the buffers have grown to the grammar's working size.
/// </summary>
internal sealed class GrammarStepper(CompiledGrammar grammar)
{
    private readonly int[] _code = grammar.Code;
    private readonly CharSet[] _sets = grammar.Sets;
    private readonly int[] _altBegin = grammar.AltBegin;
    private readonly int[] _altPos = grammar.AltPos;
    private readonly bool _guard = grammar.HasEmptyCycles;
    private int[] _work = new int[64];

    // Reference-topped stacks already expanded in this step (only for grammars with empty cycles): meeting one again
    // adds nothing new, and it is how a cycle that matched nothing ends (llama.cpp keeps a seen-set for the same reason).
    private readonly StackSet _seen = new();

    public CompiledGrammar Grammar { get; } = grammar;

    /// <summary>The stacks before any input.</summary>
    public void Initial(StackSet dst)
    {
        dst.Clear();
        _work[0] = Grammar.StartPosition;
        _seen.Clear();
        Expand(1, dst);
    }

    public CharSet SetAt(int position) => _sets[_code[position]];

    /// <summary>
    /// Consumes one byte from every stack of <paramref name="src"/> into <paramref name="dst"/> (cleared first).
    /// Returns false when the byte cannot continue valid UTF-8; <paramref name="dst"/> may also end up empty when it
    /// can but no stack accepts it. Empty stacks in <paramref name="src"/> consume nothing and are dropped.
    /// </summary>
    public bool Step(StackSet src, Utf8Partial partial, byte b, StackSet dst, out Utf8Partial next)
    {
        dst.Clear();
        next = Utf8Partial.None;
        uint cp = 0;
        if (partial.IsNone)
        {
            if (b < 0x80)
            {
                cp = b;
            }
            else if (b is >= 0xC2 and <= 0xDF)
            {
                next = new Utf8Partial(b & 0x1Fu, 1, 2);
            }
            else if (b is >= 0xE0 and <= 0xEF)
            {
                next = new Utf8Partial(b & 0x0Fu, 2, 3);
            }
            else if (b is >= 0xF0 and <= 0xF4)
            {
                next = new Utf8Partial(b & 0x07u, 3, 4);
            }
            else
            {
                return false;
            }

            if (!next.IsNone)
            {
                return Filter(src, next, dst);
            }
        }
        else
        {
            if ((b & 0xC0) != 0x80)
            {
                return false;
            }

            uint v = (partial.Value << 6) | (b & 0x3Fu);
            int remain = partial.Remain - 1;
            if (remain > 0)
            {
                next = new Utf8Partial(v, remain, partial.Need);
                return Filter(src, next, dst);
            }

            if (v < Utf8Partial.MinFor(partial.Need) || v is >= 0xD800 and <= 0xDFFF || v > CharSet.MaxCodePoint)
            {
                return false;
            }

            cp = v;
        }

        for (int i = 0; i < src.Count; i++)
        {
            var s = src[i];
            if (s.Length > 0 && _sets[_code[s[^1]]].Contains(cp))
            {
                Advance(s, dst);
            }
        }

        return true;
    }

    /// <summary>Keeps the stacks whose top could still match the character being read.</summary>
    private bool Filter(StackSet src, Utf8Partial p, StackSet dst)
    {
        int shift = 6 * p.Remain;
        uint low = p.Value << shift;
        uint high = low | ((1u << shift) - 1);
        low = Math.Max(low, Utf8Partial.MinFor(p.Need));
        high = Math.Min(high, CharSet.MaxCodePoint);
        if (low > high)
        {
            return false;
        }

        for (int i = 0; i < src.Count; i++)
        {
            var s = src[i];
            if (s.Length > 0 && _sets[_code[s[^1]]].Intersects(low, high))
            {
                dst.Add(s, src.Hash(i));
            }
        }

        return true;
    }

    /// <summary>The top character set of <paramref name="s"/> matched: move past it and expand.</summary>
    private void Advance(ReadOnlySpan<int> s, StackSet dst)
    {
        int len = s.Length;
        Ensure(len + 2);
        s.CopyTo(_work);
        _seen.Clear();
        int next = s[^1] + 1;
        if (_code[next] == CompiledGrammar.AltEnd)
        {
            Expand(len - 1, dst);
        }
        else
        {
            _work[len - 1] = next;
            Expand(len, dst);
        }
    }

    /// <summary>
    /// Adds every stack work[0..len) turns into once its top is a character set (or it is empty). The top may be a
    /// reference (expanded into each alternative, the reference's continuation kept below) or a set. Leaves
    /// work[0..len) as it found it. Terminates because left recursion is rejected at compile time.
    /// </summary>
    private void Expand(int len, StackSet dst)
    {
        if (len == 0)
        {
            dst.Add([]);
            return;
        }

        int p = _work[len - 1];
        int c = _code[p];
        if (c < CompiledGrammar.RefBase)
        {
            dst.Add(_work.AsSpan(0, len));
            return;
        }

        if (_guard)
        {
            var here = _work.AsSpan(0, len);
            int before = _seen.Count;
            _seen.Add(here);
            if (_seen.Count == before)
            {
                return;
            }
        }

        int rule = c - CompiledGrammar.RefBase;
        int cont = p + 1;
        bool hasCont = _code[cont] != CompiledGrammar.AltEnd;
        for (int k = _altBegin[rule]; k < _altBegin[rule + 1]; k++)
        {
            int a = _altPos[k];
            int l = len - 1;
            Ensure(len + 2);
            if (hasCont)
            {
                _work[l++] = cont;
            }

            if (_code[a] != CompiledGrammar.AltEnd)
            {
                _work[l++] = a;
            }

            Expand(l, dst);
            _work[len - 1] = p;
        }
    }

    private void Ensure(int n)
    {
        if (n > _work.Length)
        {
            Array.Resize(ref _work, Math.Max(n, _work.Length * 2));
        }
    }
}
