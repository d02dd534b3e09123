namespace EdgeLlm.Kernels;

/// <summary>netstandard2.1 polyfill of the .NET 6 LINQ overload the engine calls.</summary>
internal static class EnumerablePolyfills
{
    public static T FirstOrDefault<T>(this IEnumerable<T> source, T defaultValue)
    {
        foreach (T item in source)
        {
            return item;
        }

        return defaultValue;
    }
}
