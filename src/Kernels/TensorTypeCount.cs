using EdgeLlm.Kernels.Gguf;

namespace EdgeLlm.Kernels;

/// <summary>How many tensors of a file have <paramref name="Type"/>, and their bytes.</summary>
public sealed record TensorTypeCount(GgmlType Type, int Count, long Bytes);
