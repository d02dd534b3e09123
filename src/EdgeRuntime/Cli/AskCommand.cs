using System.Buffers;
using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeLlm.EdgeRuntime.Service;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeLlm.EdgeRuntime.Cli;

/// <summary><c>edgellm ask</c>: sends one prompt over MQTT 5 (Response Topic + Correlation Data) and streams the reply.</summary>
public static class AskCommand
{
    public static Command Create()
    {
        var prompt = new Argument<string>("PROMPT") { Description = "the prompt" };
        var broker = new Option<string>("--broker") { Description = "broker HOST[:PORT]", DefaultValueFactory = _ => "127.0.0.1:1883", HelpName = "HOST:PORT" };
        var device = new Option<string>("--device-id") { Description = "device to ask (default: this host's name)", DefaultValueFactory = _ => ServiceOptions.DefaultDeviceId(), HelpName = "ID" };
        var fleet = new Option<bool>("--fleet") { Description = "send to edgellm/fleet/prompt (any device of a fleet group answers)" };
        var maxTokens = new Option<int?>("--max-tokens", "-n") { Description = "completion tokens" };
        var temperature = new Option<float?>("--temperature") { Description = "sampling temperature (0 = greedy)" };
        var topK = new Option<int?>("--top-k") { Description = "top-k" };
        var topP = new Option<float?>("--top-p") { Description = "top-p" };
        var seed = new Option<ulong?>("--seed") { Description = "sampler seed" };
        var stop = new Option<string[]>("--stop") { Description = "stop string (repeatable)", AllowMultipleArgumentsPerToken = false };
        var noStream = new Option<bool>("--no-stream") { Description = "ask for the done message only" };
        var username = new Option<string?>("--username") { Description = "MQTT user name" };
        var password = new Option<string?>("--password") { Description = "MQTT password" };
        var timeout = new Option<double>("--timeout") { Description = "seconds to wait for the reply", DefaultValueFactory = _ => 120 };
        var json = new Option<bool>("--json") { Description = "print the raw reply messages (one JSON per line) instead of the text" };

        var command = new Command("ask", "Send a prompt to an edgellm service over MQTT and stream the reply to stdout")
        {
            prompt, broker, device, fleet, maxTokens, temperature, topK, topP, seed, stop, noStream, username, password, timeout, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!ServiceOptions.TryParseBroker(parse.GetValue(broker)!, false, out var host, out var port))
            {
                Console.Error.WriteLine($"edgellm ask: --broker: '{parse.GetValue(broker)}' is not HOST[:PORT]");
                return 2;
            }

            var deviceId = parse.GetValue(device)!;
            if (!Topics.IsValidLevel(deviceId))
            {
                Console.Error.WriteLine($"edgellm ask: --device-id: '{deviceId}' is not a valid topic level");
                return 2;
            }

            var request = new AskRequest
            {
                Prompt = parse.GetValue(prompt)!,
                MaxTokens = parse.GetValue(maxTokens),
                Temperature = parse.GetValue(temperature),
                TopK = parse.GetValue(topK),
                TopP = parse.GetValue(topP),
                Seed = parse.GetValue(seed),
                Stop = parse.GetValue(stop) ?? [],
                Stream = !parse.GetValue(noStream),
            };
            return await RunAsync(host, port, deviceId, parse.GetValue(fleet), request, parse.GetValue(username), parse.GetValue(password),
                TimeSpan.FromSeconds(parse.GetValue(timeout)), parse.GetValue(json), Console.Out, Console.Error, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    public sealed record AskRequest
    {
        public required string Prompt { get; init; }

        public int? MaxTokens { get; init; }

        public float? Temperature { get; init; }

        public int? TopK { get; init; }

        public float? TopP { get; init; }

        public ulong? Seed { get; init; }

        public IReadOnlyList<string> Stop { get; init; } = [];

        public bool Stream { get; init; } = true;
    }

    /// <summary>Sends the prompt and writes the reply; returns the exit code.</summary>
    public static async Task<int> RunAsync(string host, int port, string deviceId, bool toFleet, AskRequest request, string? username, string? password,
        TimeSpan timeout, bool raw, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var id = "ask-" + Guid.NewGuid().ToString("N")[..12];
        var topics = new Topics(deviceId);
        var replyTopic = topics.DefaultReply(id);
        var finished = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var printed = new StringBuilder();
        var nextSeq = 0;

        using var client = new MqttClientFactory().CreateMqttClient();
        client.ApplicationMessageReceivedAsync += e =>
        {
            if (e.ApplicationMessage.Topic != replyTopic)
            {
                return Task.CompletedTask;
            }

            var payload = e.ApplicationMessage.Payload.ToArray();
            try
            {
                using var doc = JsonDocument.Parse(payload);
                var root = doc.RootElement;
                var type = root.GetProperty("type").GetString();
                if (raw)
                {
                    stdout.WriteLine(Encoding.UTF8.GetString(payload));
                    stdout.Flush();
                }

                switch (type)
                {
                    case "token":
                        var seq = root.GetProperty("seq").GetInt32();
                        if (seq >= nextSeq && !raw)
                        {
                            var text = root.GetProperty("text").GetString() ?? "";
                            printed.Append(text);
                            stdout.Write(text);
                            stdout.Flush();
                        }

                        nextSeq = Math.Max(nextSeq, seq + 1);
                        break;
                    case "done":
                        if (!raw)
                        {
                            var all = root.GetProperty("text").GetString() ?? "";
                            var sofar = printed.ToString();
                            stdout.WriteLine(all.StartsWith(sofar, StringComparison.Ordinal) ? all[sofar.Length..] : "");
                            stdout.Flush();
                        }

                        stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"[{root.GetProperty("finish_reason").GetString()}: {root.GetProperty("completion_tokens").GetInt32()} tokens, " +
                            $"prompt {root.GetProperty("prompt_tokens").GetInt32()}, first token {root.GetProperty("time_to_first_token_ms").GetDouble():F0} ms, " +
                            $"{root.GetProperty("tokens_per_second").GetDouble():F1} tok/s]"));
                        finished.TrySetResult(0);
                        break;
                    case "error":
                        stderr.WriteLine($"edgellm ask: {root.GetProperty("code").GetString()}: {root.GetProperty("message").GetString()}");
                        finished.TrySetResult(1);
                        break;
                }
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                stderr.WriteLine($"edgellm ask: unreadable reply: {ex.Message}");
            }

            return Task.CompletedTask;
        };

        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(host, port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(id)
            .WithCleanStart(true)
            .WithTimeout(TimeSpan.FromSeconds(10));
        if (username is not null)
        {
            options.WithCredentials(username, password ?? "");
        }

        try
        {
            var connect = await client.ConnectAsync(options.Build(), cancellationToken).ConfigureAwait(false);
            if (connect.ResultCode != MqttClientConnectResultCode.Success)
            {
                stderr.WriteLine($"edgellm ask: broker {host}:{port} refused the connection: {connect.ResultCode}");
                return 1;
            }

            await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(replyTopic, MqttQualityOfServiceLevel.AtLeastOnce).Build(), cancellationToken).ConfigureAwait(false);
            var payload = Replies.Write(w =>
            {
                w.WriteString("id", id);
                w.WriteString("prompt", request.Prompt);
                if (request.MaxTokens is { } n)
                {
                    w.WriteNumber("max_tokens", n);
                }

                if (request.Temperature is { } t)
                {
                    w.WriteNumber("temperature", t);
                }

                if (request.TopK is { } k)
                {
                    w.WriteNumber("top_k", k);
                }

                if (request.TopP is { } p)
                {
                    w.WriteNumber("top_p", p);
                }

                if (request.Seed is { } s)
                {
                    w.WriteNumber("seed", s);
                }

                if (request.Stop.Count > 0)
                {
                    w.WriteStartArray("stop");
                    foreach (var x in request.Stop)
                    {
                        w.WriteStringValue(x);
                    }

                    w.WriteEndArray();
                }

                w.WriteBoolean("stream", request.Stream);
            });
            await client.PublishAsync(new MqttApplicationMessageBuilder()
                .WithTopic(toFleet ? Topics.FleetPrompt : topics.Prompt)
                .WithPayload(payload)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithResponseTopic(replyTopic)
                .WithCorrelationData(Encoding.UTF8.GetBytes(id))
                .WithContentType("application/json")
                .Build(), cancellationToken).ConfigureAwait(false);

            try
            {
                return await finished.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                stderr.WriteLine($"edgellm ask: no complete reply within {timeout.TotalSeconds:F0} s (is `edgellm serve` running with device id '{deviceId}'?)");
                return 1;
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: ask the service to stop this generation, show what it sends back
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topics.Cancel)
                    .WithPayload(Replies.Write(w => w.WriteString("id", id)))
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), grace.Token).ConfigureAwait(false);
                try
                {
                    await finished.Task.WaitAsync(grace.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }

                return 130;
            }
        }
        catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            stderr.WriteLine($"edgellm ask: cannot reach broker {host}:{port}: {e.Message}");
            return 1;
        }
        finally
        {
            if (client.IsConnected)
            {
                try
                {
                    await client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception)
                {
                }
            }
        }
    }
}
