using EdgeLlm.Kernels.Quant;

namespace EdgeLlm.Kernels.Model;

/// <summary>How keys and values are stored in the <see cref="KvCache"/>.</summary>
public enum KvCacheType
{
    /// <summary>32-bit floats (the default; what the oracle tests compare with llama.cpp).</summary>
    F32,

    /// <summary>IEEE half floats: half the memory, keys and values rounded to 11 significant bits.</summary>
    F16,

    /// <summary>ggml Q8_0 blocks of 32 along each head (34 bytes per 32 values): 3.8× smaller than F32. Needs a head size that is a multiple of 32.</summary>
    Q8_0,

    /// <summary>
    /// Chosen when the model loads: <see cref="Q8_0"/> when the head size is a multiple of 32 (every MobileLLM size:
    /// 3.8× less memory and KV traffic than F32, logits within a quantization step), otherwise <see cref="F32"/>.
    /// </summary>
    Auto,
}
