using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Import.Hf;

namespace EdgeLlm.EdgeRuntime.Hub;

/// <summary>The default converter: the Hugging Face importer (<c>EdgeLlm.Kernels.Import.Hf.HfImporter</c>).</summary>
public sealed class HfImporterConverter : IModelConverter
{
    public void Convert(string inputDir, string outputPath, GgmlType type, TextWriter? progress) =>
        HfImporter.Convert(inputDir, outputPath, type, progress);
}
