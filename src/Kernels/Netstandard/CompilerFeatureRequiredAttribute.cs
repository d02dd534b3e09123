namespace System.Runtime.CompilerServices;

/// <summary>netstandard2.1 polyfill: names a compiler feature a member needs (emitted with <c>required</c>).</summary>
[AttributeUsage(AttributeTargets.All, AllowMultiple = true, Inherited = false)]
internal sealed class CompilerFeatureRequiredAttribute(string featureName) : Attribute
{
    public string FeatureName { get; } = featureName;

    public bool IsOptional { get; init; }
}
