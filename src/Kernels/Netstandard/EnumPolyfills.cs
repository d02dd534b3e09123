namespace EdgeLlm.Kernels;

/// <summary>netstandard2.1 polyfill of the generic <c>Enum.GetValues&lt;T&gt;()</c> and <c>Enum.IsDefined&lt;T&gt;(T)</c>.</summary>
internal static class EnumPolyfills
{
    extension(Enum)
    {
        public static TEnum[] GetValues<TEnum>()
            where TEnum : struct, Enum => (TEnum[])Enum.GetValues(typeof(TEnum));

        public static bool IsDefined<TEnum>(TEnum value)
            where TEnum : struct, Enum => Enum.IsDefined(typeof(TEnum), value);
    }
}
