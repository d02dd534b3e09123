using System.Runtime.InteropServices;
using System.Text;

namespace EdgeLlm.Kernels.Tests.Oracle;

/// <summary>
/// llama.cpp's grammar sampler (llama_sampler_init_grammar, LLamaSharp 0.30's libllama) as the oracle for GBNF
/// acceptance. A text is fed as the vocabulary's byte tokens (&lt;0xXX&gt;, ids 3 + byte in the Llama vocabulary),
/// one at a time: each is first offered alone to llama_sampler_apply (a logit of -inf means rejected) and only then
/// accepted, since accepting a rejected token aborts inside llama.cpp. At the end EOS is offered the same way.
/// </summary>
public static unsafe class LlamaCppGrammar
{
    private const int EosId = 2;
    private const int FirstByteToken = 3;

    /// <summary>
    /// Per grammar and text: the first rejected byte (-1: none), and whether the whole text is accepted with EOS
    /// after it; null for a grammar llama.cpp refuses. One vocabulary load for the whole batch.
    /// </summary>
    public static (int RejectedAt, bool Accepted)[]?[] Check(IReadOnlyList<string> grammars, IReadOnlyList<IReadOnlyList<byte[]>> texts)
    {
        string vocab = SharedData.PathOf("tokenizers", "llama2", "ggml-vocab-llama-spm.gguf");
        return LlamaCpp.WithVocabulary(vocab, (model, lib) =>
        {
            var all = new (int, bool)[]?[grammars.Count];
            for (int k = 0; k < grammars.Count; k++)
            {
                all[k] = CheckOne(model, lib, grammars[k], texts[k]);
            }

            return all;
        });
    }

    private static (int RejectedAt, bool Accepted)[]? CheckOne(IntPtr model, IntPtr lib, string gbnf, IReadOnlyList<byte[]> texts)
    {
        {
            var getVocab = (delegate* unmanaged[Cdecl]<IntPtr, IntPtr>)NativeLibrary.GetExport(lib, "llama_model_get_vocab");
            var init = (delegate* unmanaged[Cdecl]<IntPtr, byte*, byte*, IntPtr>)NativeLibrary.GetExport(lib, "llama_sampler_init_grammar");
            var apply = (delegate* unmanaged[Cdecl]<IntPtr, TokenDataArray*, void>)NativeLibrary.GetExport(lib, "llama_sampler_apply");
            var accept = (delegate* unmanaged[Cdecl]<IntPtr, int, void>)NativeLibrary.GetExport(lib, "llama_sampler_accept");
            var free = (delegate* unmanaged[Cdecl]<IntPtr, void>)NativeLibrary.GetExport(lib, "llama_sampler_free");
            IntPtr v = getVocab(model);
            byte[] text = [.. Encoding.UTF8.GetBytes(gbnf), 0];
            byte[] root = "root\0"u8.ToArray();
            var results = new (int, bool)[texts.Count];
            for (int i = 0; i < texts.Count; i++)
            {
                IntPtr grammar;
                fixed (byte* g = text, r = root)
                {
                    grammar = init(v, g, r);
                }

                if (grammar == IntPtr.Zero)
                {
                    return null;
                }

                try
                {
                    results[i] = Feed(grammar, texts[i], apply, accept);
                }
                finally
                {
                    free(grammar);
                }
            }

            return results;
        }
    }

    private static (int, bool) Feed(IntPtr grammar, byte[] bytes, delegate* unmanaged[Cdecl]<IntPtr, TokenDataArray*, void> apply, delegate* unmanaged[Cdecl]<IntPtr, int, void> accept)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            int token = FirstByteToken + bytes[i];
            if (!Allowed(grammar, token, apply))
            {
                return (i, false);
            }

            accept(grammar, token);
        }

        return (-1, Allowed(grammar, EosId, apply));
    }

    private static bool Allowed(IntPtr grammar, int token, delegate* unmanaged[Cdecl]<IntPtr, TokenDataArray*, void> apply)
    {
        var data = new TokenData { Id = token, Logit = 0f, P = 0f };
        var array = new TokenDataArray { Data = &data, Size = 1, Selected = -1, Sorted = 0 };
        apply(grammar, &array);
        return !float.IsNegativeInfinity(data.Logit);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TokenData
    {
        public int Id;
        public float Logit;
        public float P;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TokenDataArray
    {
        public TokenData* Data;
        public nuint Size;
        public long Selected;
        public byte Sorted;
    }
}
