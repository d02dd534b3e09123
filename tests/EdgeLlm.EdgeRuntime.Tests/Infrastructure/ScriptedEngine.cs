using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using EdgeLlm.EdgeRuntime.Service;
using EdgeLlm.Kernels.Generation;

namespace EdgeLlm.EdgeRuntime.Tests.Infrastructure;

/// <summary>
/// An <see cref="IInferenceEngine"/> that plays scripts instead of running a model: scripted tokens, delays, a stall,
/// an exception; it records every generation. For the service's own logic (redelivery, de-duplication, limits,
/// cancel, the watchdog) without the cost or the timing of a model. Honours the engine contract: one generation at
/// a time, a final event with statistics, a final "cancelled" event on cancellation.
/// </summary>
public sealed class ScriptedEngine(int contextLength = 512) : IInferenceEngine
{
    private readonly ConcurrentDictionary<string, GenerationScript> _scripts = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _generated = new();
    private readonly SemaphoreSlim _stallReached = new(0);
    private TaskCompletionSource _stall = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _running;

    public string ModelName => "scripted";

    public string KernelPath => "scripted";

    public int ContextLength { get; } = contextLength;

    /// <summary>The script for prompts without one of their own.</summary>
    public GenerationScript Default { get; set; } = new();

    /// <summary>The prompts generated for, in order.</summary>
    public IReadOnlyList<string> Generated => _generated.ToArray();

    /// <summary>True if two generations ever overlapped (the service must run one at a time).</summary>
    public bool Overlapped { get; private set; }

    public void Script(string prompt, GenerationScript script) => _scripts[prompt] = script;

    /// <summary>Waits until a generation hangs at its <see cref="GenerationScript.StallAt"/>.</summary>
    public Task<bool> WaitStalledAsync(TimeSpan timeout) => _stallReached.WaitAsync(timeout);

    /// <summary>Lets a stalled generation go on.</summary>
    public void ReleaseStall()
    {
        var old = _stall;
        _stall = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        old.TrySetResult();
    }

    public int CountTokens(string text) => ScriptFor(text).PromptTokens ?? text.Length + 1;

    public async IAsyncEnumerable<TokenEvent> GenerateAsync(string prompt, GenerationOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _running, 1) != 0)
        {
            Overlapped = true;
        }

        try
        {
            _generated.Enqueue(prompt);
            var script = ScriptFor(prompt);
            var promptTokens = CountTokens(prompt);
            var sw = Stopwatch.StartNew();
            var n = 0;
            double ttft = 0;
            var reason = FinishReason.Stop;
            foreach (var token in script.Tokens)
            {
                if (n >= options.MaxTokens)
                {
                    reason = FinishReason.Length;
                    break;
                }

                if (script.StallAt == n)
                {
                    var release = _stall.Task;
                    _stallReached.Release();
                    await release.ConfigureAwait(false);
                }

                if (script.ThrowAt == n)
                {
                    throw script.Failure;
                }

                var cancelled = false;
                try
                {
                    if (script.DelayPerToken > TimeSpan.Zero)
                    {
                        await Task.Delay(script.DelayPerToken, cancellationToken).ConfigureAwait(false);
                    }

                    cancellationToken.ThrowIfCancellationRequested();
                }
                catch (OperationCanceledException)
                {
                    cancelled = true;
                }

                if (cancelled)
                {
                    reason = FinishReason.Cancelled;
                    break;
                }

                if (n == 0)
                {
                    ttft = sw.Elapsed.TotalMilliseconds;
                }

                yield return new TokenEvent(n, n, token, null);
                n++;
            }

            var seconds = Math.Max(sw.Elapsed.TotalSeconds, 1e-6);
            yield return new TokenEvent(n, -1, "", new GenerationStats(reason, promptTokens, n, ttft, n / seconds, 0, sw.Elapsed));
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    public void Dispose()
    {
        _stall.TrySetResult();
        _stallReached.Dispose();
    }

    private GenerationScript ScriptFor(string prompt) => _scripts.TryGetValue(prompt, out var s) ? s : Default;
}
