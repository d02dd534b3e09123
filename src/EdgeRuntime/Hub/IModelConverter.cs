using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Import.Hf;

namespace EdgeLlm.EdgeRuntime.Hub;

/// <summary>The conversion step of <c>edgellm pull</c>: a Hugging Face model folder → one GGUF file.</summary>
public interface IModelConverter
{
    void Convert(string inputDir, string outputPath, GgmlType type, TextWriter? progress);
}
