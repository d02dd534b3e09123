namespace System.Runtime.CompilerServices;

/// <summary>netstandard2.1 polyfill: marks <c>required</c> members for the compiler.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Field | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
internal sealed class RequiredMemberAttribute : Attribute
{
}
