namespace EdgeLlm.Kernels;

/// <summary>netstandard2.1 polyfills of the .NET 7 ASCII character tests the grammar parser calls.</summary>
internal static class CharPolyfills
{
    extension(char)
    {
        public static bool IsAsciiDigit(char c) => c is >= '0' and <= '9';

        public static bool IsAsciiLetterOrDigit(char c) => c is >= '0' and <= '9' or >= 'a' and <= 'z' or >= 'A' and <= 'Z';
    }
}
