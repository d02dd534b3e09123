using EdgeLlm.Kernels.Gguf;

namespace EdgeLlm.EdgeRuntime.Hub;

/// <summary>The conversion step of <c>edgellm pull</c>: a Hugging Face model folder → one GGUF file.</summary>
public interface IModelConverter
{
    void Convert(string inputDir, string outputPath, GgmlType type, TextWriter? progress);
}

/// <summary>The default converter: the Hugging Face importer (<c>EdgeLlm.Kernels.Import.Hf.HfImporter</c>).</summary>
public sealed class HfImporterConverter : IModelConverter
{
    // The importer is being written on another branch; this becomes
    // `HfImporter.Convert(inputDir, outputPath, type, progress)` when it is merged.
    public void Convert(string inputDir, string outputPath, GgmlType type, TextWriter? progress) =>
        throw new NotSupportedException("the Hugging Face importer is not in this build");
}
