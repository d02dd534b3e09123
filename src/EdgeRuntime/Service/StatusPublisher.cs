using System.Reflection;
using System.Text;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>
/// The retained status message (model, version, kernel path, queue depth) and the Home Assistant discovery
/// configs. Publishes are coalesced: many queue changes in a burst give one status message.
/// </summary>
public sealed class StatusPublisher(MqttConnection connection, PromptQueue queue, IInferenceEngine engine, Topics topics, ServiceOptions options, DeviceStatus device, ILogger<StatusPublisher> log)
{
    public static readonly byte[] OfflinePayload = Encoding.UTF8.GetBytes("{\"state\":\"offline\"}");

    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly DateTime _startedAt = DateTime.UtcNow;
    private int _discoveryWanted;
    private Task? _loop;

    public static string Version { get; } =
        typeof(StatusPublisher).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(StatusPublisher).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    public void Start() => _loop = Task.Run(() => LoopAsync(_stop.Token));

    public async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>Asks for a status publish soon (and the discovery configs too, when asked).</summary>
    public void PublishSoon(bool withDiscovery = false)
    {
        if (withDiscovery)
        {
            Volatile.Write(ref _discoveryWanted, 1);
        }

        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
        }
    }

    public MqttApplicationMessage OfflineMessage() => Retained(topics.Status, OfflinePayload);

    public byte[] OnlinePayload() => Replies.Write(w =>
    {
        w.WriteString("state", "online");
        w.WriteString("device_id", topics.DeviceId);
        w.WriteString("model", engine.ModelName);
        w.WriteString("version", Version);
        w.WriteString("kernel_path", engine.KernelPath);
        w.WriteNumber("context_length", engine.ContextLength);
        w.WriteNumber("queue_depth", queue.Depth);
        w.WriteNumber("queue_capacity", queue.Capacity);
        w.WriteBoolean("busy", queue.Running);
        if (options.FleetGroup is null)
        {
            w.WriteNull("fleet_group");
        }
        else
        {
            w.WriteString("fleet_group", options.FleetGroup);
        }

        w.WriteString("broker", options.Broker is null ? "embedded" : "external");
        w.WriteString("started_at", _startedAt.ToString("O"));
        var energy = device.Energy;
        w.WriteNumber("threads", energy.Threads);
        w.WriteString("energy_mode", energy.Mode);
        w.WriteStartObject("joules_per_token_by_threads");
        foreach (var row in energy.Table)
        {
            w.WriteNumber(row.Threads.ToString(System.Globalization.CultureInfo.InvariantCulture), Math.Round(row.JoulesPerToken, 6));
        }

        w.WriteEndObject();
        NullableString(w, "energy_mode_note", energy.Note);
        NullableString(w, "power_source", device.PowerSource);
        if (device.LastJoulesPerToken is double jpt && double.IsFinite(jpt))
        {
            w.WriteNumber("last_joules_per_token", Math.Round(jpt, 6));
        }
        else
        {
            w.WriteNull("last_joules_per_token");
        }

        NullableString(w, "voice_state", device.VoiceState);
    });

    private static void NullableString(System.Text.Json.Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    /// <summary>
    /// Discovery configs: status and queue depth; with a power source, power (W, from the power topic) and the last
    /// reply's energy per token (J); with the voice flow, its state. All but power are tied to the status topic.
    /// </summary>
    public IEnumerable<(string Topic, byte[] Payload)> DiscoveryConfigs()
    {
        var node = "edgellm_" + new string(topics.DeviceId.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
        var sensors = new List<(string ObjectId, string Name, string Template, string Icon, string? Unit, string? DeviceClass, string StateTopic)>
        {
            ("state", "Status", "{{ value_json.state }}", "mdi:robot", null, null, topics.Status),
            ("queue_depth", "Queue depth", "{{ value_json.queue_depth }}", "mdi:tray-full", null, null, topics.Status),
        };
        if (device.PowerSource is not null)
        {
            sensors.Add(("power", "Power", "{{ value_json.watts }}", "mdi:flash", "W", "power", topics.Power));
            sensors.Add(("energy_per_token", "Energy per token", "{{ value_json.last_joules_per_token }}", "mdi:lightning-bolt", "J", null, topics.Status));
        }

        if (device.VoiceState is not null)
        {
            sensors.Add(("voice_state", "Voice", "{{ value_json.voice_state }}", "mdi:microphone", null, null, topics.Status));
        }

        foreach (var (objectId, name, template, icon, unit, deviceClass, stateTopic) in sensors)
        {
            var payload = Replies.Write(w =>
            {
                w.WriteString("name", name);
                w.WriteString("unique_id", $"{node}_{objectId}");
                w.WriteString("object_id", $"{node}_{objectId}");
                w.WriteString("state_topic", stateTopic);
                w.WriteString("value_template", template);
                w.WriteString("icon", icon);
                if (unit is not null)
                {
                    w.WriteString("unit_of_measurement", unit);
                }

                if (deviceClass is not null)
                {
                    w.WriteString("device_class", deviceClass);
                }

                if (objectId == "state")
                {
                    w.WriteString("json_attributes_topic", topics.Status);
                }
                else
                {
                    w.WriteString("availability_topic", topics.Status);
                    w.WriteString("availability_template", "{{ value_json.state }}");
                    w.WriteString("payload_available", "online");
                    w.WriteString("payload_not_available", "offline");
                    if (objectId != "voice_state")
                    {
                        w.WriteString("state_class", "measurement");
                    }
                }

                w.WriteStartObject("device");
                w.WriteStartArray("identifiers");
                w.WriteStringValue(node);
                w.WriteEndArray();
                w.WriteString("name", $"EdgeLlm {topics.DeviceId}");
                w.WriteString("manufacturer", "EdgeLlm");
                w.WriteString("model", engine.ModelName);
                w.WriteString("sw_version", Version);
                w.WriteEndObject();
            });
            yield return ($"{topics.HomeAssistantPrefix}/sensor/{node}/{objectId}/config", payload);
        }
    }

    private async Task LoopAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            await _wake.WaitAsync(stop).ConfigureAwait(false);
            try
            {
                if (Interlocked.Exchange(ref _discoveryWanted, 0) == 1)
                {
                    foreach (var (topic, payload) in DiscoveryConfigs())
                    {
                        await connection.PublishAsync(Retained(topic, payload), stop).ConfigureAwait(false);
                    }
                }

                await connection.PublishAsync(Retained(topics.Status, OnlinePayload()), stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.LogWarning("status publish failed: {Error}", e.Message);
            }

            // at most about four status messages a second
            await Task.Delay(250, stop).ConfigureAwait(false);
        }
    }

    private static MqttApplicationMessage Retained(string topic, byte[] payload) =>
        new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithRetainFlag()
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithContentType("application/json")
            .Build();
}
