namespace EdgeLlm.EdgeRuntime.Bench;

/// <summary>Creates a backend for a model file (implemented by a bench plugin).</summary>
public interface IBenchBackendFactory
{
    /// <param name="contextLength">KV cache length in tokens (the same for every engine in a run).</param>
    IBenchBackend Create(string modelPath, int threads, int contextLength);
}
