using System.Buffers;
using System.Text;
using System.Text.Json;
using EdgeLlm.Kernels.Generation;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>
/// <c>edgellm/{id}/intent</c> (docs/mqtt.md, "Actions"): a request in words → the registry's prompt → generation
/// constrained to a call of one configured action → validation → the action's payload published on its topic (unless
/// <c>dry_run</c>) → the reply <c>{"id","type":"action","name","arguments","topic","published"}</c>. Generation goes
/// through the prompt queue like every prompt (one at a time, in order). Voice transcripts use <see cref="HandleTextAsync"/>.
/// </summary>
public sealed class IntentHandler(
    ActionRegistry registry,
    PromptGateway gateway,
    IInferenceEngine engine,
    MqttConnection connection,
    Topics topics,
    ServiceOptions options,
    ILogger<IntentHandler> log)
{
    /// <summary>Tokens a call may take at most.</summary>
    public const int MaxCallTokens = 256;

    /// <summary>Tokens kept free for the call when examples must be dropped to fit the context.</summary>
    public const int MinCallTokens = 96;

    private long _count;

    public ActionRegistry Registry => registry;

    /// <summary>The intent topic: edgellm/{id}/intent.</summary>
    public string Topic => topics.Root + "/intent";

    /// <summary>
    /// Turns <paramref name="text"/> into an action call and, unless <paramref name="dryRun"/>, publishes it. For the
    /// voice flow: <paramref name="source"/> names where the text came from (logged; the request id is
    /// <c>{source}-{n}</c> when <paramref name="id"/> is null). Never throws for a bad model output: that is an error result.
    /// </summary>
    public async Task<IntentResult> HandleTextAsync(string text, string source, bool dryRun = false, string? id = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        id ??= $"{source}-{Interlocked.Increment(ref _count)}";
        if (text.Trim().Length == 0)
        {
            return IntentResult.Error(id, ErrorCodes.BadRequest, "text is empty");
        }

        // All the examples that fit: on a short context the last ones go first, the call keeps its room.
        int examples = registry.ExampleCount;
        string prompt = registry.Prompt(text, examples);
        int tokens = engine.CountTokens(prompt);
        while (tokens > engine.ContextLength - MinCallTokens && examples > 0)
        {
            prompt = registry.Prompt(text, --examples);
            tokens = engine.CountTokens(prompt);
        }

        var request = new PromptRequest
        {
            Id = id,
            Prompt = prompt,
            MaxTokens = Math.Clamp(engine.ContextLength - tokens, 1, MaxCallTokens),
            // greedy: the most likely call, the same every time for the same words
            Sampling = new SamplingOptions { Temperature = 0f, RepetitionPenalty = options.RepetitionPenalty },
            Stream = false,
            Grammar = registry.Grammar,
        };
        var outcome = await gateway.SubmitInternalAsync(request, cancellationToken).ConfigureAwait(false);
        if (!outcome.Done)
        {
            return IntentResult.Error(id, outcome.ErrorCode ?? ErrorCodes.Internal, outcome.Text);
        }

        if (outcome.FinishReason != "stop")
        {
            return IntentResult.Error(id, ErrorCodes.Internal, $"the call was not finished ({outcome.FinishReason}): nothing published");
        }

        var result = Validate(id, outcome.Text);
        if (result.IsError || dryRun)
        {
            log.LogInformation("intent {Id} from {Source}: {Result}", id, source, result.IsError ? result.Message : $"{result.Name} (dry run)");
            return result;
        }

        var action = registry.Find(result.Name!)!;
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(action.Topic)
            .WithPayload(Encoding.UTF8.GetBytes(result.Payload!))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(action.Retain)
            .Build();
        try
        {
            await connection.PublishAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return IntentResult.Error(id, ErrorCodes.Internal, $"the action could not be published on {action.Topic}: {e.Message}");
        }

        log.LogInformation("intent {Id} from {Source}: {Name} published on {Topic}", id, source, result.Name, action.Topic);
        return result with { Published = true };
    }

    /// <summary>Checks a generated call against the registry (the grammar already did; this holds it to account).</summary>
    public IntentResult Validate(string id, string call)
    {
        try
        {
            using var doc = JsonDocument.Parse(call);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("action", out var name) || name.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("arguments", out var args))
            {
                return IntentResult.Error(id, ErrorCodes.Internal, "the model's call is not {\"action\", \"arguments\"}");
            }

            var action = registry.Find(name.GetString()!);
            if (action is null)
            {
                return IntentResult.Error(id, ErrorCodes.Internal, $"the model called '{name.GetString()}', which is not a configured action");
            }

            if (!action.ArgumentsGrammar.Matches(args.GetRawText()))
            {
                return IntentResult.Error(id, ErrorCodes.Internal, $"the arguments of '{action.Name}' do not satisfy its schema");
            }

            var arguments = args.Clone();
            return new IntentResult
            {
                Id = id,
                Name = action.Name,
                Arguments = arguments,
                Topic = action.Topic,
                Payload = ActionRegistry.Render(action, arguments),
            };
        }
        catch (JsonException e)
        {
            return IntentResult.Error(id, ErrorCodes.Internal, "the model's call is not JSON: " + e.Message.Split('\n')[0]);
        }
    }

    /// <summary>An intent message (give it to the connection's message handler for <see cref="Topic"/>).</summary>
    public async Task HandleMessageAsync(Delivery delivery)
    {
        var message = delivery.Message;
        byte[] payload = message.Payload.ToArray();
        var (id, text, dryRun, replyTo, error) = ParseIntent(payload);
        id ??= "i" + Guid.NewGuid().ToString("N")[..16];
        var target = Topics.IsValidPublishTopic(message.ResponseTopic)
            ? new ReplyTarget(message.ResponseTopic, message.CorrelationData is { Length: > 0 } c ? c : null)
            : new ReplyTarget(replyTo ?? topics.DefaultReply(id), message.CorrelationData is { Length: > 0 } c2 ? c2 : null);

        IntentResult result;
        try
        {
            result = error is not null ? IntentResult.Error(id, ErrorCodes.BadRequest, error) : await HandleTextAsync(text!, "mqtt", dryRun, id).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogError(e, "intent {Id} failed", id);
            result = IntentResult.Error(id, ErrorCodes.Internal, e.Message);
        }

        try
        {
            await connection.PublishAsync(ReplyMessages.Build(target, Reply(result)), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning("intent reply to {Topic} not sent: {Error}", target.Topic, e.Message);
        }

        await connection.AcknowledgeAsync(delivery, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>The reply payload: the action, or the error.</summary>
    public static byte[] Reply(IntentResult r)
    {
        if (r.IsError)
        {
            return Replies.Error(r.Id, r.ErrorCode!, r.Message!);
        }

        return Replies.Write(w =>
        {
            w.WriteString("id", r.Id);
            w.WriteString("type", "action");
            w.WriteString("name", r.Name);
            w.WritePropertyName("arguments");
            r.Arguments.WriteTo(w);
            w.WriteString("topic", r.Topic);
            w.WriteString("payload", r.Payload);
            w.WriteBoolean("published", r.Published);
        });
    }

    private static (string? Id, string? Text, bool DryRun, string? ReplyTo, string? Error) ParseIntent(byte[] payload)
    {
        string? id = null, text = null, replyTo = null;
        bool dryRun = false;
        try
        {
            using var doc = JsonDocument.Parse(payload);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, null, false, null, "expected a JSON object {\"id\"?, \"text\", \"dry_run\"?}");
            }

            if (root.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String && i.GetString() is { Length: > 0 and <= RequestLimits.MaxIdLength } s && Topics.IsValidLevel(s))
            {
                id = s;
            }

            if (root.TryGetProperty("reply_to", out var rt) && rt.ValueKind == JsonValueKind.String && Topics.IsValidPublishTopic(rt.GetString()))
            {
                replyTo = rt.GetString();
            }

            foreach (var p in root.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "id":
                        if (id is null)
                        {
                            return (null, null, false, replyTo, $"id must be 1-{RequestLimits.MaxIdLength} characters without '/', '+', '#' or NUL");
                        }

                        break;
                    case "text":
                        if (p.Value.ValueKind != JsonValueKind.String)
                        {
                            return (id, null, false, replyTo, "text must be a string");
                        }

                        text = p.Value.GetString();
                        break;
                    case "dry_run":
                        if (p.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                        {
                            return (id, null, false, replyTo, "dry_run must be true or false");
                        }

                        dryRun = p.Value.GetBoolean();
                        break;
                    case "reply_to":
                        if (replyTo is null)
                        {
                            return (id, null, false, null, "reply_to must be a topic without wildcards, NUL or a leading '$'");
                        }

                        break;
                    default:
                        return (id, null, false, replyTo, $"unknown field '{p.Name}'");
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            return (null, null, false, null, "malformed JSON: " + e.Message.Split('\n')[0]);
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            return (id, null, false, replyTo, "text is required");
        }

        if (text.Length > 2000)
        {
            return (id, null, false, replyTo, $"text of {text.Length} characters exceeds 2000");
        }

        return (id, text, dryRun, replyTo, null);
    }
}
