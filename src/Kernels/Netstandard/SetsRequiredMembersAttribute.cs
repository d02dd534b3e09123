namespace System.Diagnostics.CodeAnalysis;

/// <summary>netstandard2.1 polyfill: a constructor that sets every <c>required</c> member.</summary>
[AttributeUsage(AttributeTargets.Constructor, AllowMultiple = false, Inherited = false)]
internal sealed class SetsRequiredMembersAttribute : Attribute
{
}
