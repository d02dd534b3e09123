namespace System.Runtime.CompilerServices;

/// <summary>netstandard2.1 polyfill: lets the throw-helper polyfills name the argument, as the .NET 10 helpers do.</summary>
[AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
internal sealed class CallerArgumentExpressionAttribute(string parameterName) : Attribute
{
    public string ParameterName { get; } = parameterName;
}
