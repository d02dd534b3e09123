using System.CommandLine;
using System.Globalization;
using EdgeLlm.Device.Power;
using EdgeLlm.EdgeRuntime.Power;
using EdgeLlm.EdgeRuntime.Service;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeLlm.EdgeRuntime.Cli;

/// <summary><c>edgellm serve</c>: the MQTT language-model service (docs/mqtt.md).</summary>
public static class ServeCommand
{
    private static readonly Dictionary<string, string> HelpNames = new()
    {
        ["ModelPath"] = "PATH",
        ["Broker"] = "HOST:PORT",
        ["MqttPort"] = "PORT",
        ["DeviceId"] = "ID",
        ["Threads"] = "N",
        ["ContextLength"] = "N",
        ["KvCache"] = "auto|f32|f16|q8_0",
        ["FleetGroup"] = "GROUP",
        ["QueueLength"] = "N",
        ["MaxPromptLength"] = "CHARS",
        ["DefaultMaxTokens"] = "N",
        ["Temperature"] = "T",
        ["TopK"] = "K",
        ["TopP"] = "P",
        ["BindAddress"] = "ADDRESS",
        ["Username"] = "USER",
        ["Password"] = "PASSWORD",
        ["ClientId"] = "ID",
        ["Tls:Enabled"] = "true|false",
        ["Tls:CaFile"] = "FILE",
        ["Tls:ClientCertificateFile"] = "FILE",
        ["Tls:ClientKeyFile"] = "FILE",
    };

    public static Command Create()
    {
        var command = new Command("serve", "Run the MQTT service: prompts in on edgellm/{device}/prompt, streamed replies out. " +
            $"Without --broker an embedded broker listens on {ServiceDefaults.BindAddress}:{ServiceDefaults.MqttPort}. Settings also come from appsettings.json, " +
            "--config FILE and EDGELLM__* environment variables; flags win.");

        // flag → configuration key under "EdgeLlm"; values are validated together by ServiceOptions.Read
        var flags = new List<(Option<string?> Option, string Key)>();
        Option<string?> Flag(string name, string key, string help, params string[] aliases)
        {
            var o = new Option<string?>(name, aliases) { Description = help, HelpName = HelpNames.GetValueOrDefault(key, "VALUE") };
            command.Options.Add(o);
            flags.Add((o, key));
            return o;
        }

        Flag("--model", "ModelPath", $"GGUF model file; the default is beside the executable (default {ServiceDefaults.ModelPath})", "-m");
        Flag("--broker", "Broker", "external broker HOST[:PORT]; absent = embedded broker");
        Flag("--mqtt-port", "MqttPort", $"port of the embedded broker (default {ServiceDefaults.MqttPort})");
        Flag("--device-id", "DeviceId", "topic root edgellm/{ID} (default: host name)");
        Flag("--threads", "Threads", "matmul threads (default: one per core)", "-t");
        Flag("--context-length", "ContextLength", "KV cache tokens (default: the model's)");
        Flag("--kv-cache", "KvCache", "KV cache format: auto (default: q8_0 when the head size allows, else f32), f32 (exact), f16, q8_0");
        Flag("--fleet-group", "FleetGroup", "also take prompts from $share/GROUP/edgellm/fleet/prompt");
        Flag("--queue-length", "QueueLength", $"prompts that may wait behind the running one (default {ServiceDefaults.QueueLength}); the broker holds the rest");
        Flag("--max-prompt-length", "MaxPromptLength", $"longest prompt in characters (default {ServiceDefaults.MaxPromptLength})");
        Flag("--max-tokens", "DefaultMaxTokens", $"completion tokens when a request names none (default {ServiceDefaults.DefaultMaxTokens})", "-n");
        Flag("--temperature", "Temperature", $"default sampling temperature (default {ServiceDefaults.Temperature.ToString(CultureInfo.InvariantCulture)})");
        Flag("--top-k", "TopK", $"default top-k (default {ServiceDefaults.TopK})");
        Flag("--top-p", "TopP", $"default top-p (default {ServiceDefaults.TopP.ToString(CultureInfo.InvariantCulture)})");
        Flag("--bind", "BindAddress", $"address the embedded broker listens on (default {ServiceDefaults.BindAddress})");
        Flag("--username", "Username", "MQTT user name (embedded broker: required of every client)");
        Flag("--password", "Password", "MQTT password");
        Flag("--client-id", "ClientId", "MQTT client id (default edgellm-{device})");
        Flag("--tls", "Tls:Enabled", "use TLS to the external broker (true/false)");
        Flag("--ca-file", "Tls:CaFile", "PEM CA certificate(s) the broker's certificate must chain to");
        Flag("--client-cert", "Tls:ClientCertificateFile", "client certificate (PEM, or .pfx/.p12)");
        Flag("--client-key", "Tls:ClientKeyFile", "PEM private key of the client certificate");
        var config = new Option<string?>("--config") { Description = "JSON settings file (section \"EdgeLlm\")", HelpName = "FILE" };
        var logLevel = new Option<string?>("--log-level") { Description = "trace, debug, information (default), warning, error", HelpName = "LEVEL" };
        command.Options.Add(config);
        command.Options.Add(logLevel);

        command.SetAction(async (parse, cancellationToken) =>
        {
            var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (var (option, key) in flags)
            {
                if (parse.GetValue(option) is { } v)
                {
                    values[$"{ServiceOptions.Section}:{key}"] = v;
                }
            }

            var level = LogLevel.Information;
            if (parse.GetValue(logLevel) is { } lv && !Enum.TryParse(lv, ignoreCase: true, out level))
            {
                Console.Error.WriteLine($"edgellm serve: --log-level: '{lv}' is not a log level");
                return 2;
            }

            Microsoft.Extensions.Configuration.IConfigurationRoot configuration;
            try
            {
                configuration = ServiceHost.BuildConfiguration(parse.GetValue(config), values);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or FormatException)
            {
                Console.Error.WriteLine($"edgellm serve: --config: {e.Message}");
                return 2;
            }

            var errors = new List<string>();
            var options = ServiceOptions.Read(configuration, errors);
            if (errors.Count > 0)
            {
                foreach (var e in errors)
                {
                    Console.Error.WriteLine($"edgellm serve: {e}");
                }

                return 2;
            }

            IInferenceEngine engine;
            EnergySelection energy;
            try
            {
                energy = await ChooseThreadsAsync(options, level, cancellationToken).ConfigureAwait(false);
                engine = LanguageModelEngine.Load(options.ModelPath, energy.Threads, options.ContextLength, options.KvCache, collectAfterLoad: true);
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"edgellm serve: cannot load model '{options.ModelPath}': {e.Message}");
                return 1;
            }

            try
            {
                using var host = ServiceHost.Build(options, engine, configuration, level);
                host.Services.GetRequiredService<DeviceStatus>().Energy = energy;
                Console.Error.WriteLine($"edgellm serve: model {engine.ModelName} ({engine.KernelPath}), " +
                    (options.Broker is null ? $"embedded broker on {options.BindAddress}:{options.MqttPort}" : $"broker {options.Broker}") +
                    $", device {options.DeviceId}");
                await host.RunAsync(cancellationToken).ConfigureAwait(false);
                return 0;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Console.Error.WriteLine($"edgellm serve: {e.GetBaseException().Message}");
                return 1;
            }
            finally
            {
                engine.Dispose();
            }
        });
        return command;
    }

    /// <summary>
    /// Energy:Mode (docs/power.md): efficient loads the model once per thread count and measures each on the power
    /// source before the service starts (the engine's thread count is fixed when it loads).
    /// </summary>
    private static async Task<EnergySelection> ChooseThreadsAsync(ServiceOptions options, LogLevel level, CancellationToken cancellationToken)
    {
        // logs as the host writes them: one line each, on stderr
        using var logs = LoggerFactory.Create(b => b.SetMinimumLevel(level)
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            }));
        var log = logs.CreateLogger("EdgeLlm.EdgeRuntime.Power.ThreadEnergyCalibrator");
        IPowerMonitor? monitor = null;
        if (options.Energy.Mode == EnergyOptions.Efficient)
        {
            try
            {
                monitor = PowerMonitorFactory.Open(options.Power);
            }
            catch (Exception e) when (e is PowerSourceException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                log.LogWarning("energy: no power source: {Error}", e.Message);
            }
        }

        using (monitor)
        {
            var calibrator = new ThreadEnergyCalibrator(monitor,
                threads => LanguageModelEngine.Load(options.ModelPath, threads, options.ContextLength, options.KvCache), log)
            {
                SampleHz = options.Power.SampleHz,
            };
            return await calibrator.SelectAsync(options.Energy, options.Threads, Environment.ProcessorCount, cancellationToken).ConfigureAwait(false);
        }
    }
}
