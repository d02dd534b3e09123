using System.Diagnostics;
using System.Runtime.CompilerServices;
using EdgeLlm.EdgeRuntime.Service;
using EdgeLlm.Kernels.Generation;

namespace EdgeLlm.EdgeRuntime.Tests.Power;

/// <summary>
/// An engine "loaded with N threads" whose speed is a test's model of decode: every 100 ms it produces
/// <c>tokensPerStep</c> tokens. While it generates, <see cref="Busy"/> holds N, which the simulated INA219's power
/// model reads (P = idle + k · threads · busy).
/// </summary>
public sealed class ThreadTestEngine(int threads, int tokensPerStep, Action<int> busy) : IInferenceEngine
{
    public static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    public string ModelName => "thread-test";

    public string KernelPath => "test";

    public int ContextLength => 4096;

    public int Threads => threads;

    public bool Disposed { get; private set; }

    public Action<int> Busy => busy;

    public int CountTokens(string text) => text.Length + 1;

    public async IAsyncEnumerable<TokenEvent> GenerateAsync(string prompt, GenerationOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var sw = Stopwatch.StartNew();
        int n = 0;
        busy(threads);
        try
        {
            while (n < options.MaxTokens)
            {
                await Task.Delay(Step, cancellationToken).ConfigureAwait(false);
                for (int i = 0; i < tokensPerStep && n < options.MaxTokens; i++, n++)
                {
                    yield return new TokenEvent(n, n, " t", null);
                }
            }
        }
        finally
        {
            busy(0);
        }

        yield return new TokenEvent(n, -1, "", new GenerationStats(FinishReason.Length, CountTokens(prompt), n, 0, n / sw.Elapsed.TotalSeconds, 0, sw.Elapsed));
    }

    public void Dispose() => Disposed = true;
}
