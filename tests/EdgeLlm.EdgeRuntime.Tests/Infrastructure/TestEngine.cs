using System.Runtime.CompilerServices;
using EdgeLlm.EdgeRuntime.Service;
using EdgeLlm.Kernels.Generation;

namespace EdgeLlm.EdgeRuntime.Tests.Infrastructure;

// TEMPORARY: stands in until the engine lands in main; then TestEngine.Load returns the real model.
public static class TestEngine
{
    public static IInferenceEngine Load(ServiceOptions options) => new PlaceholderEngine();

    private sealed class PlaceholderEngine : IInferenceEngine
    {
        private int _busy;

        public string ModelName => "placeholder";

        public string KernelPath => "none";

        public int ContextLength => 512;

        public int CountTokens(string text) => 1 + text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;

        public async IAsyncEnumerable<TokenEvent> GenerateAsync(string prompt, GenerationOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            if (Interlocked.Exchange(ref _busy, 1) == 1)
            {
                throw new InvalidOperationException("one generation at a time");
            }

            try
            {
                var n = Math.Min(options.MaxTokens, ContextLength - CountTokens(prompt));
                var i = 0;
                for (; i < n; i++)
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        break;
                    }

                    Thread.Sleep(1);
                    yield return new TokenEvent(i, i, $"w{i} ", null);
                }

                await Task.CompletedTask;
                var reason = cancellationToken.IsCancellationRequested ? FinishReason.Cancelled : FinishReason.Length;
                yield return new TokenEvent(i, -1, "", new GenerationStats(reason, CountTokens(prompt), i, 1, 1000, 1000, TimeSpan.FromMilliseconds(i)));
            }
            finally
            {
                Volatile.Write(ref _busy, 0);
            }
        }

        public void Dispose()
        {
        }
    }
}
