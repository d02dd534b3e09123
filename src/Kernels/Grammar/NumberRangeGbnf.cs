using System.Globalization;

namespace EdgeLlm.Kernels.Grammar;

/// <summary>
/// GBNF for decimal numbers within bounds, digit by digit: integers in [lo, hi] without leading zeros, and decimals
/// written <c>-?int(.frac)?</c> (no exponent) in [lo, hi]. Unbounded sides are capped in length so a model cannot
/// write digits forever; the caps keep every number inside System.Decimal's 28 digits (docs/structured-output.md).
/// </summary>
internal static class NumberRangeGbnf
{
    /// <summary>Digits of an integer without an upper bound (15 keeps it exact in a double too).</summary>
    public const int IntegerDigits = 15;

    /// <summary>Integer and fraction digits of a decimal without bounds on that side (12 + 12 fits a decimal).</summary>
    public const int DecimalIntegerDigits = 12;
    public const int FractionDigits = 12;

    /// <summary>Integers n with lo ≤ n ≤ hi (either bound may be absent). Null when no integer is in range.</summary>
    public static string? Integer(decimal? lo, decimal? hi)
    {
        decimal? a = lo is decimal l ? Math.Ceiling(l) : null;
        decimal? b = hi is decimal h ? Math.Floor(h) : null;
        if (a > b)
        {
            return null;
        }

        var parts = new List<string>();
        if (a is null || a < 0)
        {
            // -m with m in [max(1, -b), -a]
            decimal from = b is decimal bb && bb < 0 ? -bb : 1;
            string? to = a is decimal aa ? Digits(-aa) : null;
            parts.Add("\"-\" " + Natural(Digits(from), to, IntegerDigits));
        }

        if (b is null || b >= 0)
        {
            decimal from = a is decimal aa && aa > 0 ? aa : 0;
            parts.Add(Natural(Digits(from), b is decimal bb ? Digits(bb) : null, IntegerDigits));
        }

        return Group(parts);
    }

    /// <summary>Decimals x with lo ≤ x ≤ hi (either bound may be absent). Null when the range is empty.</summary>
    public static string? Decimal(decimal? lo, decimal? hi)
    {
        if (lo > hi)
        {
            return null;
        }

        int fraction = Math.Max(FractionDigits, Math.Max(FractionOf(lo).Length, FractionOf(hi).Length));
        var parts = new List<string>();
        if (lo is null || lo < 0)
        {
            decimal from = hi is decimal h && h < 0 ? -h : 0;
            decimal? to = lo is decimal l ? -l : null;
            parts.Add("\"-\" " + Magnitude(from, to, fraction));
        }

        if (hi is null || hi >= 0)
        {
            decimal from = lo is decimal l && l > 0 ? l : 0;
            parts.Add(Magnitude(from, hi, fraction));
        }

        return Group(parts);
    }

    /// <summary>Decimal magnitudes m, p ≤ m ≤ q (q absent: unbounded).</summary>
    private static string Magnitude(decimal p, decimal? q, int f)
    {
        string pi = Digits(Math.Truncate(p)), pf = FractionOf(p);
        string? qi = q is decimal qq ? Digits(Math.Truncate(qq)) : null;
        string qf = FractionOf(q);
        int intCap = Math.Max(DecimalIntegerDigits, (qi ?? pi).Length);
        if (qi == pi)
        {
            return Lit(pi) + " " + FracBetween(pf, qf, f);
        }

        var parts = new List<string> { Lit(pi) + " " + FracAtLeast(pf, f) };
        decimal next = Math.Truncate(p) + 1;
        if (q is null || next <= Math.Truncate(q.Value) - 1)
        {
            string? to = q is decimal qq2 ? Digits(Math.Truncate(qq2) - 1) : null;
            parts.Add(Natural(Digits(next), to, intCap) + " " + FracAny(f));
        }

        if (qi is not null)
        {
            parts.Add(Lit(qi) + " " + FracAtMost(qf, f));
        }

        return Group(parts);
    }

    private static string FracAny(int f) => $"(\".\" [0-9]{{1,{f}}})?";

    /// <summary>Optional fraction with value ≥ 0.s.</summary>
    private static string FracAtLeast(string s, int f) => s.Length == 0 ? FracAny(f) : "\".\" " + AtLeast(s, f);

    /// <summary>Optional fraction with value ≤ 0.t.</summary>
    private static string FracAtMost(string t, int f) => t.Length == 0 ? $"(\".\" [0]{{1,{f}}})?" : $"(\".\" {AtMost(t, f)})?";

    /// <summary>Optional fraction with 0.s ≤ value ≤ 0.t.</summary>
    private static string FracBetween(string s, string t, int f) => s.Length == 0 ? FracAtMost(t, f) : "\".\" " + Between(s, t, f);

    /// <summary>Non-empty digit strings D with 0.D ≥ 0.s (s non-empty, no trailing zero).</summary>
    private static string AtLeast(string s, int f)
    {
        char c = s[0];
        string rest = s[1..];
        var parts = new List<string>();
        if (c < '9')
        {
            parts.Add($"[{(char)(c + 1)}-9] [0-9]{{0,{f}}}");
        }

        parts.Add(rest.Length == 0 ? $"{Lit(c)} [0-9]{{0,{f}}}" : $"{Lit(c)} {AtLeast(rest, f)}");
        return Group(parts);
    }

    /// <summary>Non-empty digit strings D with 0.D ≤ 0.t (t non-empty, no trailing zero).</summary>
    private static string AtMost(string t, int f)
    {
        char c = t[0];
        string rest = t[1..];
        var parts = new List<string>();
        if (c > '0')
        {
            parts.Add($"[0-{(char)(c - 1)}] [0-9]{{0,{f}}}");
        }

        parts.Add(rest.Length == 0 ? $"{Lit(c)} [0]{{0,{f}}}" : $"{Lit(c)} ({AtMost(rest, f)})?");
        return Group(parts);
    }

    /// <summary>Non-empty digit strings D with 0.s ≤ 0.D ≤ 0.t (s non-empty).</summary>
    private static string Between(string s, string t, int f)
    {
        char c = s[0], d = t[0];
        string r = s[1..], u = t[1..];
        if (c == d)
        {
            // the rest E may be empty only when r is
            string tail = r.Length == 0
                ? (u.Length == 0 ? $"[0]{{0,{f}}}" : $"({AtMost(u, f)})?")
                : Between(r, u, f);
            return $"{Lit(c)} {tail}";
        }

        var parts = new List<string>
        {
            r.Length == 0 ? $"{Lit(c)} [0-9]{{0,{f}}}" : $"{Lit(c)} {AtLeast(r, f)}",
        };
        if (c + 1 <= d - 1)
        {
            parts.Add($"[{(char)(c + 1)}-{(char)(d - 1)}] [0-9]{{0,{f}}}");
        }

        parts.Add(u.Length == 0 ? $"{Lit(d)} [0]{{0,{f}}}" : $"{Lit(d)} ({AtMost(u, f)})?");
        return Group(parts);
    }

    /// <summary>Naturals without leading zeros from a to b (digit strings; b absent: up to <paramref name="cap"/> digits).</summary>
    private static string Natural(string a, string? b, int cap)
    {
        cap = Math.Max(cap, a.Length);
        int last = b?.Length ?? cap;
        var parts = new List<string>();
        for (int len = a.Length; len <= last; len++)
        {
            string low = len == a.Length ? a : "1" + new string('0', len - 1);
            string high = b is not null && len == b.Length ? b : new string('9', len);
            if (b is null && len > a.Length)
            {
                // every longer length is free: one repetition covers them all
                parts.Add($"[1-9] [0-9]{{{len - 1},{cap - 1}}}");
                break;
            }

            parts.Add(Fixed(low, high));
        }

        return Group(parts);
    }

    /// <summary>Digit strings of one length from s to t (s ≤ t).</summary>
    private static string Fixed(string s, string t)
    {
        if (s == t)
        {
            return Lit(s);
        }

        if (s.Length == 1)
        {
            return $"[{s[0]}-{t[0]}]";
        }

        int n = s.Length - 1;
        char c = s[0], d = t[0];
        string r = s[1..], u = t[1..];
        if (c == d)
        {
            return $"{Lit(c)} {Fixed(r, u)}";
        }

        if (r.All(x => x == '0') && u.All(x => x == '9'))
        {
            return $"[{c}-{d}] [0-9]{{{n}}}";
        }

        var parts = new List<string> { $"{Lit(c)} {Fixed(r, new string('9', n))}" };
        if (c + 1 <= d - 1)
        {
            parts.Add($"[{(char)(c + 1)}-{(char)(d - 1)}] [0-9]{{{n}}}");
        }

        parts.Add($"{Lit(d)} {Fixed(new string('0', n), u)}");
        return Group(parts);
    }

    private static string Group(List<string> parts) => parts.Count == 1 ? $"({parts[0]})" : "(" + string.Join(" | ", parts) + ")";

    private static string Lit(char c) => $"\"{c}\"";

    private static string Lit(string s) => $"\"{s}\"";

    /// <summary>Integer digits of a non-negative integral decimal, no leading zeros.</summary>
    private static string Digits(decimal v) => Math.Truncate(v).ToString("0", CultureInfo.InvariantCulture);

    /// <summary>The fraction digits of |v| without trailing zeros ("" for integers and absent values).</summary>
    private static string FractionOf(decimal? v)
    {
        if (v is not decimal x)
        {
            return "";
        }

        x = Math.Abs(x);
        string text = (x - Math.Truncate(x)).ToString(CultureInfo.InvariantCulture);
        int dot = text.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? "" : text[(dot + 1)..].TrimEnd('0');
    }
}
