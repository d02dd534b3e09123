namespace EdgeLlm.Kernels.Grammar;

/// <summary>
/// A grammar or JSON Schema that cannot be compiled: a GBNF syntax error (with line and column), a schema keyword
/// outside the supported subset (with the keyword and its JSON pointer), or a grammar/schema no string satisfies.
/// </summary>
public sealed class GrammarException : FormatException
{
    public GrammarException(string message)
        : base(message)
    {
    }

    private GrammarException(string message, string? pointer, string? keyword, int? line, int? column)
        : base(message)
    {
        Pointer = pointer;
        Keyword = keyword;
        Line = line;
        Column = column;
    }

    /// <summary>JSON pointer of the offending schema part ("" is the root), for schema errors.</summary>
    public string? Pointer { get; }

    /// <summary>The unsupported schema keyword, when that is the problem.</summary>
    public string? Keyword { get; }

    /// <summary>1-based line of a GBNF error.</summary>
    public int? Line { get; }

    /// <summary>1-based column of a GBNF error.</summary>
    public int? Column { get; }

    internal static GrammarException Syntax(string text, int offset, string what)
    {
        int line = 1, column = 1;
        for (int i = 0; i < offset && i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                line++;
                column = 1;
            }
            else
            {
                column++;
            }
        }

        return new GrammarException($"GBNF error at line {line}, column {column}: {what}", null, null, line, column);
    }

    internal static GrammarException Unsupported(string keyword, string pointer) =>
        new($"unsupported JSON Schema keyword '{keyword}' at {PointerText(pointer)}", pointer, keyword, null, null);

    internal static GrammarException Schema(string pointer, string what) =>
        new($"JSON Schema error at {PointerText(pointer)}: {what}", pointer, null, null, null);

    private static string PointerText(string pointer) => pointer.Length == 0 ? "/ (the root)" : pointer;
}
