namespace EdgeLlm.Device.Power;

/// <summary>
/// Unfolds a counter that wraps to 0 after <c>max</c> (powercap's energy_uj at max_energy_range_uj). Correct while it is
/// read at least once per wrap period (docs/power.md); a counter that goes back without a known range counts as reset.
/// </summary>
internal sealed class WrappingCounter(ulong start, ulong? max)
{
    private ulong _last = start;

    /// <summary>Counts since construction, wraps unfolded.</summary>
    public double Total { get; private set; }

    public double Update(ulong value)
    {
        if (value >= _last)
        {
            Total += value - _last;
        }
        else if (max is { } range && _last <= range)
        {
            Total += (range - _last) + value;
        }

        _last = value;
        return Total;
    }
}
