using EdgeLlm.Device.Power;
using EdgeLlm.EdgeRuntime.Power;
using EdgeLlm.EdgeRuntime.Voice;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>Builds the configuration and the host of <c>edgellm serve</c>.</summary>
public static class ServiceHost
{
    /// <summary>
    /// Configuration in increasing priority: appsettings.json beside the executable, appsettings.json in the
    /// working directory, the --config file, environment variables (EDGELLM__MQTTPORT=1884 …), command-line flags.
    /// </summary>
    public static IConfigurationRoot BuildConfiguration(string? configFile, IDictionary<string, string?> flags)
    {
        var b = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false)
            .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true, reloadOnChange: false);
        if (configFile is not null)
        {
            b.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: false);
        }

        return b.AddEnvironmentVariables().AddInMemoryCollection(flags).Build();
    }

    /// <summary>
    /// The host with every service; <paramref name="engine"/> is owned (disposed) by the host. <paramref name="configure"/>
    /// runs last, so it can add services or replace defaults (e.g. an <see cref="IEnergyMeter"/>, an
    /// <see cref="ISystemdNotifier"/>).
    /// </summary>
    public static IHost Build(ServiceOptions options, IInferenceEngine engine, IConfiguration? configuration = null, LogLevel minimumLevel = LogLevel.Information,
        Action<IServiceCollection>? configure = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = AppContext.BaseDirectory,
        });
        if (configuration is not null)
        {
            builder.Configuration.AddConfiguration(configuration);
        }

        builder.Logging.SetMinimumLevel(minimumLevel);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.AddSystemd();
        // AddSystemd registers the notifier only under systemd; the watchdog asks for it either way.
        builder.Services.TryAddSingleton<ISystemdNotifier, SystemdNotifier>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(options.ShutdownTimeoutSeconds));

        var topics = new Topics(options.DeviceId, options.FleetGroup, options.HomeAssistantPrefix);
        string host;
        int port;
        if (options.Broker is null)
        {
            host = options.BindAddress is "0.0.0.0" ? "127.0.0.1" : options.BindAddress is "::" ? "::1" : options.BindAddress;
            port = options.MqttPort;
            builder.Services.AddSingleton<EmbeddedBroker>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<EmbeddedBroker>());
        }
        else if (!ServiceOptions.TryParseBroker(options.Broker, options.Tls.Enabled, out host, out port))
        {
            throw new ArgumentException($"bad broker address '{options.Broker}'");
        }

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(topics);
        builder.Services.AddSingleton(engine);
        var queue = new PromptQueue(options.QueueLength);
        builder.Services.AddSingleton(queue);
        builder.Services.AddSingleton(sp => new MqttConnection(options, topics, host, port, queue.ReceiveMaximum, sp.GetRequiredService<ILoggerFactory>().CreateLogger<MqttConnection>()));
        builder.Services.AddSingleton<DeviceStatus>();
        builder.Services.TryAddSingleton(PowerPlatform.Default);
        builder.Services.AddSingleton(sp => new PowerSensors(options.Power, sp.GetRequiredService<PowerPlatform>(), sp.GetRequiredService<DeviceStatus>(),
            sp.GetRequiredService<ILogger<PowerSensors>>()));
        builder.Services.TryAddSingleton<IEnergyMeter>(sp => sp.GetRequiredService<PowerSensors>() is { Monitor: not null } sensors
            ? new PowerEnergyMeter(sensors, sp.GetRequiredService<DeviceStatus>())
            : NoEnergyMeter.Instance);
        builder.Services.AddSingleton<StatusPublisher>();
        builder.Services.AddSingleton<PromptGateway>();
        builder.Services.AddSingleton<InferenceWorker>();
        if (options.Actions is { } actions)
        {
            builder.Services.AddSingleton(actions);
            builder.Services.AddSingleton<IntentHandler>();
        }

        builder.Services.AddHostedService<MqttService>();
        // Stopped before MqttService (reverse order), so the running prompt is answered before we disconnect.
        builder.Services.AddHostedService(sp => sp.GetRequiredService<InferenceWorker>());
        builder.Services.AddHostedService(sp => new SystemdWatchdog(
            sp.GetRequiredService<InferenceWorker>(), sp.GetRequiredService<ISystemdNotifier>(), WatchdogTiming.FromEnvironment(),
            sp.GetRequiredService<ILogger<SystemdWatchdog>>()));
        builder.Services.AddHostedService<PowerTelemetryService>();
        if (options.Voice.Enabled)
        {
            builder.Services.TryAddSingleton<IVoiceHardware, VoiceHardware>();
            builder.Services.AddSingleton<VoiceCommandService>();

            // stopped first (hosted services stop in reverse order): no new voice prompt while the worker winds down
            builder.Services.AddHostedService(sp => sp.GetRequiredService<VoiceCommandService>());
        }

        configure?.Invoke(builder.Services);
        return builder.Build();
    }
}
