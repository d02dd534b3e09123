namespace EdgeLlm.Kernels;

/// <summary>netstandard2.1 polyfills of the .NET 10 span and list helpers the engine calls.</summary>
internal static class SpanPolyfills
{
    public static bool Contains<T>(this ReadOnlySpan<T> span, T value)
        where T : IEquatable<T> => span.IndexOf(value) >= 0;

    public static bool Contains<T>(this Span<T> span, T value)
        where T : IEquatable<T> => span.IndexOf(value) >= 0;

    /// <summary>Sorts keys and items together through arrays (the same introsort as the .NET 10 span sort).</summary>
    public static void Sort<TKey, TValue>(this Span<TKey> keys, Span<TValue> items, IComparer<TKey> comparer)
    {
        TKey[] k = keys.ToArray();
        TValue[] v = items.ToArray();
        Array.Sort(k, v, comparer);
        k.CopyTo(keys);
        v.CopyTo(items);
    }

    public static bool ContainsAnyExcept<T>(this Span<T> span, T value)
        where T : IEquatable<T>
    {
        foreach (T item in span)
        {
            if (!item.Equals(value))
            {
                return true;
            }
        }

        return false;
    }

    public static int CommonPrefixLength<T>(this ReadOnlySpan<T> span, ReadOnlySpan<T> other)
        where T : IEquatable<T>
    {
        int n = Math.Min(span.Length, other.Length), i = 0;
        while (i < n && span[i].Equals(other[i]))
        {
            i++;
        }

        return i;
    }

    public static void AddRange<T>(this List<T> list, ReadOnlySpan<T> source)
    {
        foreach (T item in source)
        {
            list.Add(item);
        }
    }
}
