namespace EdgeLlm.Kernels.Generation;

/// <summary>
/// Holds back generated text that might be the start of a stop string, so a stop string is never
/// emitted, even when it arrives split across several tokens.
/// </summary>
internal sealed class StopStringFilter
{
    private readonly IReadOnlyList<string> stops;
    private string pending = "";

    public StopStringFilter(IReadOnlyList<string> stops)
    {
        foreach (string s in stops)
        {
            if (string.IsNullOrEmpty(s))
            {
                throw new ArgumentException("stop strings must not be empty");
            }
        }

        this.stops = stops;
    }

    /// <summary>Adds text; returns what is safe to emit and whether a stop string was reached.</summary>
    public (string Emit, bool Stopped) Push(string text)
    {
        if (stops.Count == 0)
        {
            return (text, false);
        }

        pending += text;
        int first = -1;
        foreach (string s in stops)
        {
            int at = pending.IndexOf(s, StringComparison.Ordinal);
            if (at >= 0 && (first < 0 || at < first))
            {
                first = at;
            }
        }

        if (first >= 0)
        {
            string before = pending[..first];
            pending = "";
            return (before, true);
        }

        int hold = 0; // longest suffix of pending that begins some stop string
        foreach (string s in stops)
        {
            for (int len = Math.Min(s.Length - 1, pending.Length); len > hold; len--)
            {
                if (pending.AsSpan(pending.Length - len).SequenceEqual(s.AsSpan(0, len)))
                {
                    hold = len;
                    break;
                }
            }
        }

        // never split a surrogate pair between emitted and held text
        if (hold > 0 && hold < pending.Length && char.IsLowSurrogate(pending[^hold]))
        {
            hold++;
        }

        string emit = pending[..^hold];
        pending = pending[^hold..];
        return (emit, false);
    }

    /// <summary>At the end of generation the held text was no stop string after all.</summary>
    public string Flush()
    {
        string rest = pending;
        pending = "";
        return rest;
    }
}
