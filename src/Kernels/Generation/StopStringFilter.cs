namespace EdgeLlm.Kernels.Generation;

/// <summary>
/// Holds back generated text that might be the start of a stop string, so a stop string is never
/// emitted, even when it arrives split across several tokens.
/// </summary>
internal sealed class StopStringFilter
{
    private readonly IReadOnlyList<string> _stops;
    private string _pending = "";

    public StopStringFilter(IReadOnlyList<string> stops)
    {
        foreach (string s in stops)
        {
            if (string.IsNullOrEmpty(s))
            {
                throw new ArgumentException("stop strings must not be empty");
            }
        }

        _stops = stops;
    }

    /// <summary>Adds text; returns what is safe to emit and whether a stop string was reached.</summary>
    public (string Emit, bool Stopped) Push(string text)
    {
        if (_stops.Count == 0)
        {
            return (text, false);
        }

        _pending += text;
        int first = -1;
        foreach (string s in _stops)
        {
            int at = _pending.IndexOf(s, StringComparison.Ordinal);
            if (at >= 0 && (first < 0 || at < first))
            {
                first = at;
            }
        }

        if (first >= 0)
        {
            string before = _pending[..first];
            _pending = "";
            return (before, true);
        }

        int hold = 0; // longest suffix of _pending that begins some stop string
        foreach (string s in _stops)
        {
            for (int len = Math.Min(s.Length - 1, _pending.Length); len > hold; len--)
            {
                if (_pending.AsSpan(_pending.Length - len).SequenceEqual(s.AsSpan(0, len)))
                {
                    hold = len;
                    break;
                }
            }
        }

        // never split a surrogate pair between emitted and held text
        if (hold > 0 && hold < _pending.Length && char.IsLowSurrogate(_pending[^hold]))
        {
            hold++;
        }

        string emit = _pending[..^hold];
        _pending = _pending[^hold..];
        return (emit, false);
    }

    /// <summary>At the end of generation the held text was no stop string after all.</summary>
    public string Flush()
    {
        string rest = _pending;
        _pending = "";
        return rest;
    }
}
