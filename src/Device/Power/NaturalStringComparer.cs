using System.Globalization;

namespace EdgeLlm.Device.Power;

/// <summary>Orders names with their digit runs compared as numbers: hwmon2 before hwmon10.</summary>
internal sealed class NaturalStringComparer : IComparer<string>
{
    public static readonly NaturalStringComparer Instance = new();

    public int Compare(string? x, string? y)
    {
        x ??= "";
        y ??= "";
        int i = 0, j = 0;
        while (i < x.Length && j < y.Length)
        {
            if (char.IsAsciiDigit(x[i]) && char.IsAsciiDigit(y[j]))
            {
                int si = i, sj = j;
                while (i < x.Length && char.IsAsciiDigit(x[i]))
                {
                    i++;
                }

                while (j < y.Length && char.IsAsciiDigit(y[j]))
                {
                    j++;
                }

                int c = decimal.Parse(x[si..i], CultureInfo.InvariantCulture).CompareTo(decimal.Parse(y[sj..j], CultureInfo.InvariantCulture));
                if (c != 0)
                {
                    return c;
                }
            }
            else
            {
                int c = x[i].CompareTo(y[j]);
                if (c != 0)
                {
                    return c;
                }

                i++;
                j++;
            }
        }

        return (x.Length - i).CompareTo(y.Length - j);
    }
}
