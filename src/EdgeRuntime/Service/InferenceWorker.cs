using System.Diagnostics;
using EdgeLlm.Kernels.Generation;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>
/// Takes prompts from the queue one at a time, generates, streams the reply and then acknowledges the prompt.
/// On stop the running generation ends "cancelled" (and is answered); queued prompts stay unacknowledged.
/// </summary>
public sealed class InferenceWorker(
    PromptQueue queue,
    IInferenceEngine engine,
    MqttConnection connection,
    PromptGateway gateway,
    StatusPublisher status,
    IEnergyMeter energy,
    ILogger<InferenceWorker> log) : BackgroundService
{
    private readonly CancellationTokenSource _abort = new();
    private long _heartbeat = Stopwatch.GetTimestamp();
    private long _completed;

    /// <summary>Prompts answered since start.</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Last time the worker made progress (a token, or waiting idle); for the systemd watchdog.</summary>
    public TimeSpan SinceHeartbeat => Stopwatch.GetElapsedTime(Interlocked.Read(ref _heartbeat));

    public bool Idle => !queue.Running;

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        gateway.StopAccepting();
        using var reg = cancellationToken.Register(() => _abort.Cancel());
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public override void Dispose()
    {
        _abort.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            PromptJob job;
            try
            {
                Beat();
                job = await queue.DequeueAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            status.PublishSoon();
            try
            {
                await RunAsync(job, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_abort.IsCancellationRequested)
            {
                log.LogWarning("stop timeout: reply to {Id} not completed; the broker will redeliver it", job.Request.Id);
                break;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // never let one prompt stop the service
                log.LogError(e, "prompt {Id} failed", job.Request.Id);
            }
            finally
            {
                // a local source waiting for this prompt must hear of it even when no reply went out
                job.SetOutcome(PromptOutcome.Error(job.Request.Id, ErrorCodes.Internal, "the prompt ended without a reply"));
                queue.MarkIdle();
                status.PublishSoon();
            }
        }
    }

    private async Task RunAsync(PromptJob job, CancellationToken stoppingToken)
    {
        var request = job.Request;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(job.Cancellation.Token, stoppingToken);
        var reply = new ReplyStream(connection, job, _abort.Token);
        var sender = reply.RunAsync();
        try
        {
            var promptTokens = engine.CountTokens(request.Prompt);
            if (linked.IsCancellationRequested)
            {
                reply.Complete(new GenerationStats(FinishReason.Cancelled, promptTokens, 0, 0, 0, 0, TimeSpan.Zero), "", EnergyReport.None);
            }
            else if (promptTokens >= engine.ContextLength)
            {
                reply.Fail(ErrorCodes.TooLong, $"prompt is {promptTokens} tokens; the context holds {engine.ContextLength}");
            }
            else
            {
                var options = new GenerationOptions
                {
                    MaxTokens = request.MaxTokens,
                    Sampling = request.Sampling,
                    StopStrings = request.Stop,
                    Grammar = request.Grammar,
                };
                GenerationStats? stats = null;
                var measurement = StartMeasurement(request);
                await foreach (var ev in engine.GenerateAsync(request.Prompt, options, linked.Token).ConfigureAwait(false))
                {
                    Beat();
                    if (ev.Done is { } done)
                    {
                        stats = done;
                        reply.Complete(done, ev.Text, StopMeasurement(measurement, done));
                    }
                    else
                    {
                        reply.Append(ev.Text);
                    }
                }

                if (stats is null)
                {
                    reply.Fail(ErrorCodes.Internal, "the generator ended without statistics");
                }
                else
                {
                    log.LogInformation("{Id}: {Reason}, {Tokens} tokens, {Tps:F0} tok/s", request.Id, Replies.FinishReasonText(stats.FinishReason), stats.CompletionTokens, stats.TokensPerSecond);
                }
            }
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested && !_abort.IsCancellationRequested)
        {
            // the engine's contract is a final Cancelled event, but an engine that throws instead is answered the same
            reply.Complete(new GenerationStats(FinishReason.Cancelled, 0, 0, 0, 0, 0, TimeSpan.Zero), "", EnergyReport.None);
        }
        catch (Exception e) when (e is not OperationCanceledException || !_abort.IsCancellationRequested)
        {
            log.LogError(e, "generation for {Id} failed", request.Id);
            reply.Fail(ErrorCodes.Internal, e.Message);
        }

        try
        {
            await sender.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // e.g. a reply topic the client library refuses: the prompt is done all the same
            log.LogWarning("reply to {Id} on {Topic} not sent: {Error}", request.Id, job.Target.Topic, e.Message);
        }

        job.SetOutcome(reply.Outcome ?? PromptOutcome.Error(request.Id, ErrorCodes.Internal, "no reply"));
        await gateway.CompleteAsync(job, _abort.Token).ConfigureAwait(false);
        Interlocked.Increment(ref _completed);
    }

    private IEnergyMeasurement StartMeasurement(PromptRequest request)
    {
        try
        {
            return energy.Start(request);
        }
        catch (Exception e)
        {
            log.LogWarning("energy measurement not started: {Error}", e.Message);
            return NoEnergyMeter.Instance;
        }
    }

    private EnergyReport StopMeasurement(IEnergyMeasurement measurement, GenerationStats stats)
    {
        try
        {
            return measurement.Stop(stats);
        }
        catch (Exception e)
        {
            // a failing power monitor must not cost the reply
            log.LogWarning("energy measurement failed: {Error}", e.Message);
            return EnergyReport.None;
        }
    }

    private void Beat() => Interlocked.Exchange(ref _heartbeat, Stopwatch.GetTimestamp());
}
