using System.Runtime.InteropServices;

namespace EdgeLlm.Kernels.Tests.Gguf;

/// <summary>
/// llama.cpp's own GGUF reader (gguf_* in libggml-base, shipped by the LLamaSharp CPU backend package), used to
/// prove files from our writer load in llama.cpp. Only header/metadata are read (no_alloc, no ggml context).
/// </summary>
internal sealed unsafe class LlamaCppGguf : IDisposable
{
    private static readonly Lazy<nint> Library = new(LoadLibrary);
    private nint _context;

    private LlamaCppGguf(nint context)
    {
        _context = context;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct InitParams
    {
        public byte NoAlloc;      // C bool
        public nint Context;      // struct ggml_context **
    }

    /// <summary>Null when llama.cpp refuses the file (it logs the reason to stderr).</summary>
    public static LlamaCppGguf? Open(string path)
    {
        var init = (delegate* unmanaged<byte*, InitParams, nint>)Export("gguf_init_from_file");
        byte[] name = [.. System.Text.Encoding.UTF8.GetBytes(path), 0];
        fixed (byte* p = name)
        {
            nint context = init(p, new InitParams { NoAlloc = 1, Context = 0 });
            return context == 0 ? null : new LlamaCppGguf(context);
        }
    }

    public long TensorCount => ((delegate* unmanaged<nint, long>)Export("gguf_get_n_tensors"))(_context);

    public long MetadataCount => ((delegate* unmanaged<nint, long>)Export("gguf_get_n_kv"))(_context);

    public long DataOffset => (long)((delegate* unmanaged<nint, nuint>)Export("gguf_get_data_offset"))(_context);

    public long Alignment => (long)((delegate* unmanaged<nint, nuint>)Export("gguf_get_alignment"))(_context);

    public long FindKey(string key) => WithName(key, (delegate* unmanaged<nint, byte*, long>)Export("gguf_find_key"));

    public long FindTensor(string name) => WithName(name, (delegate* unmanaged<nint, byte*, long>)Export("gguf_find_tensor"));

    public string? GetString(long keyId) =>
        Marshal.PtrToStringUTF8(((delegate* unmanaged<nint, long, nint>)Export("gguf_get_val_str"))(_context, keyId));

    public uint GetUInt32(long keyId) => ((delegate* unmanaged<nint, long, uint>)Export("gguf_get_val_u32"))(_context, keyId);

    public long ArrayLength(long keyId) => (long)((delegate* unmanaged<nint, long, nuint>)Export("gguf_get_arr_n"))(_context, keyId);

    public long TensorOffset(long tensorId) => (long)((delegate* unmanaged<nint, long, nuint>)Export("gguf_get_tensor_offset"))(_context, tensorId);

    public int TensorType(long tensorId) => ((delegate* unmanaged<nint, long, int>)Export("gguf_get_tensor_type"))(_context, tensorId);

    public void Dispose()
    {
        if (_context != 0)
        {
            ((delegate* unmanaged<nint, void>)Export("gguf_free"))(_context);
            _context = 0;
        }
    }

    private long WithName(string name, delegate* unmanaged<nint, byte*, long> function)
    {
        byte[] bytes = [.. System.Text.Encoding.UTF8.GetBytes(name), 0];
        fixed (byte* p = bytes)
        {
            return function(_context, p);
        }
    }

    private static nint Export(string name) => NativeLibrary.GetExport(Library.Value, name);

    private static nint LoadLibrary()
    {
        // The baseline build (no AVX) runs on any x64; arm64 has a single build.
        string native = Path.Combine(AppContext.BaseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native");
        string[] candidates =
        [
            Path.Combine(native, "noavx", "libggml-base.so"),
            Path.Combine(native, "libggml-base.so"),
            Path.Combine(native, "noavx", "libggml-base.dylib"),
            Path.Combine(native, "libggml-base.dylib"),
            Path.Combine(native, "noavx", "ggml-base.dll"),
            Path.Combine(native, "ggml-base.dll"),
        ];
        string path = candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"llama.cpp's ggml-base library not found under {native}");
        return NativeLibrary.Load(path);
    }
}
