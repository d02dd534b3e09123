using EdgeLlm.Device.Power;
using EdgeLlm.EdgeRuntime.Service;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeLlm.EdgeRuntime.Power;

/// <summary>
/// Publishes a power reading on <c>edgellm/{id}/power</c> every Power:PublishIntervalSeconds while connected
/// (docs/mqtt.md). QoS 0, not retained: a reading that cannot be sent now is stale by the next one.
/// </summary>
public sealed class PowerTelemetryService(PowerSensors sensors, MqttConnection connection, Topics topics, ServiceOptions options, ILogger<PowerTelemetryService> log) : BackgroundService
{
    public static byte[] Payload(PowerReading r, IPowerMonitor monitor) => Replies.Write(w =>
    {
        w.WriteNumber("watts", Math.Round(r.Watts, 4));
        WriteNullable(w, "volts", r.Volts);
        WriteNullable(w, "amps", r.Amps);
        w.WriteString("source", monitor.Source);
        w.WriteBoolean("estimate", monitor.IsEstimate);
        w.WriteString("timestamp", r.Timestamp.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture));
    });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (sensors.Monitor is not { } monitor)
        {
            return;
        }

        var period = TimeSpan.FromSeconds(options.Power.PublishIntervalSeconds);
        string? lastError = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (connection.IsConnected)
                {
                    try
                    {
                        var payload = Payload(monitor.Read(), monitor);
                        var message = new MqttApplicationMessageBuilder()
                            .WithTopic(topics.Power)
                            .WithPayload(payload)
                            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtMostOnce)
                            .WithContentType("application/json")
                            .Build();
                        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                        attempt.CancelAfter(period);
                        await connection.PublishAsync(message, attempt.Token).ConfigureAwait(false);
                        lastError = null;
                    }
                    catch (PowerSourceException e)
                    {
                        // one line per new failure, not one per period
                        if (e.Message != lastError)
                        {
                            log.LogWarning("power telemetry: {Error}", e.Message);
                            lastError = e.Message;
                        }
                    }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                    {
                        // the broker went away during the publish: the next period tries again
                    }
                }

                await Task.Delay(period, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static void WriteNullable(System.Text.Json.Utf8JsonWriter w, string name, double? value)
    {
        if (value is double v && double.IsFinite(v))
        {
            w.WriteNumber(name, Math.Round(v, 4));
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
