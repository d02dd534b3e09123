namespace System.Runtime.CompilerServices;

/// <summary>netstandard2.1 polyfill: lets the compiler emit <c>init</c> accessors and records.</summary>
internal static class IsExternalInit
{
}
