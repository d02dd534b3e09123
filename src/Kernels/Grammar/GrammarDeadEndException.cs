namespace EdgeLlm.Kernels.Grammar;

/// <summary>
/// At run time no token of the vocabulary can continue the grammar and it cannot end either: the grammar needs a
/// character the vocabulary cannot spell. Generation stops with this error rather than emit invalid output.
/// </summary>
public sealed class GrammarDeadEndException(int outputBytes)
    : InvalidOperationException($"no token of the vocabulary can continue the grammar after {outputBytes} bytes of output, and the grammar cannot end there")
{
    /// <summary>Bytes of output the grammar had accepted when it got stuck.</summary>
    public int OutputBytes { get; } = outputBytes;
}
