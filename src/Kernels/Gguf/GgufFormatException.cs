namespace EdgeLlm.Kernels.Gguf;

/// <summary>A GGUF file is malformed or lacks something required; the message names the file and the problem.</summary>
public sealed class GgufFormatException : Exception
{
    public GgufFormatException(string filePath, string problem)
        : base($"{filePath}: {problem}")
    {
        FilePath = filePath;
    }

    public string FilePath { get; }
}
