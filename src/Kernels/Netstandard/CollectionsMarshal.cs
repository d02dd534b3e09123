namespace System.Runtime.InteropServices;

/// <summary>netstandard2.1 stand-in: a span over a copy of the list (netstandard2.1 cannot reach the list's array).</summary>
internal static class CollectionsMarshal
{
    public static Span<T> AsSpan<T>(List<T>? list) => list is null ? default : list.ToArray();
}
