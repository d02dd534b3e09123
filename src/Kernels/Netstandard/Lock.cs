namespace System.Threading;

/// <summary>
/// netstandard2.1 stand-in for .NET 9's <c>System.Threading.Lock</c>: the compiler lowers <c>lock (x)</c> on a type of
/// this name to <see cref="EnterScope"/>, here a Monitor lock on a private object (the .NET 10 build keeps the real type).
/// </summary>
internal sealed class Lock
{
    private readonly object _monitor = new();

    public Scope EnterScope()
    {
        Monitor.Enter(_monitor);
        return new Scope(_monitor);
    }

    /// <summary>Leaves the lock on Dispose (the end of the <c>lock</c> block).</summary>
    public readonly ref struct Scope
    {
        private readonly object _monitor;

        internal Scope(object monitor) => _monitor = monitor;

        public void Dispose() => Monitor.Exit(_monitor);
    }
}
