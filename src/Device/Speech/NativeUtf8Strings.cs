using System.Runtime.InteropServices;

namespace EdgeLlm.Device.Speech;

/// <summary>UTF-8 copies in native memory, freed together.</summary>
internal sealed unsafe class NativeUtf8Strings : IDisposable
{
    private readonly List<nint> _allocated = [];

    public byte* Utf8(string s)
    {
        nint p = Marshal.StringToCoTaskMemUTF8(s);
        _allocated.Add(p);
        return (byte*)p;
    }

    public void Dispose()
    {
        foreach (nint p in _allocated)
        {
            Marshal.FreeCoTaskMem(p);
        }

        _allocated.Clear();
    }
}
