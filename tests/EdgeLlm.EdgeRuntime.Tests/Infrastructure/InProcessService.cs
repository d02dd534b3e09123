using System.Diagnostics;
using System.Text;
using EdgeLlm.EdgeRuntime.Service;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeLlm.EdgeRuntime.Tests.Infrastructure;

/// <summary>The service hosted in the test process, on the real engine and the bundled model.</summary>
public sealed class InProcessService : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly IInferenceEngine _engine;
    private bool _stopped;

    private InProcessService(ServiceOptions options, IHost host, IInferenceEngine engine)
    {
        Options = options;
        _host = host;
        _engine = engine;
    }

    public ServiceOptions Options { get; }

    public Topics Topics => new(Options.DeviceId, Options.FleetGroup, Options.HomeAssistantPrefix);

    public InferenceWorker Worker => _host.Services.GetRequiredService<InferenceWorker>();

    public PromptGateway Gateway => _host.Services.GetRequiredService<PromptGateway>();

    public MqttConnection Connection => _host.Services.GetRequiredService<MqttConnection>();

    /// <summary>Where a test client connects: the external broker, or the embedded one.</summary>
    public string Endpoint => Options.Broker ?? $"127.0.0.1:{Options.MqttPort}";

    public static ServiceOptions Defaults(string? broker = null) => new()
    {
        ModelPath = TestEnvironment.ModelPath,
        Threads = 1,
        DeviceId = "t" + Guid.NewGuid().ToString("N")[..8],
        Broker = broker,
        MqttPort = broker is null ? TestEnvironment.FreePort() : 1883,
        ReconnectMinDelayMs = 50,
        ReconnectMaxDelayMs = 500,
        KeepAliveSeconds = 5,
        ShutdownTimeoutSeconds = 10,
    };

    public PromptQueue Queue => _host.Services.GetRequiredService<PromptQueue>();

    public IServiceProvider Services => _host.Services;

    /// <param name="engine">The engine (owned by the service from now on); null = the real one on <see cref="ServiceOptions.ModelPath"/>.</param>
    /// <param name="configure">Adds or replaces services (e.g. an <see cref="IEnergyMeter"/>).</param>
    public static async Task<InProcessService> StartAsync(ServiceOptions options, bool waitConnected = true, IInferenceEngine? engine = null,
        Action<IServiceCollection>? configure = null)
    {
        engine ??= TestEngine.Load(options);
        var level = Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("EDGELLM_TEST_LOG"), true, out var l) ? l : LogLevel.Error;
        var host = ServiceHost.Build(options, engine, minimumLevel: level, configure: configure);
        await host.StartAsync();
        var s = new InProcessService(options, host, engine);
        if (waitConnected)
        {
            await s.WaitConnectedAsync(TimeSpan.FromSeconds(10));
        }

        return s;
    }

    public async Task WaitConnectedAsync(TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (!Connection.IsConnected)
        {
            Assert.That(sw.Elapsed, Is.LessThan(timeout), "service did not connect to its broker");
            await Task.Delay(20);
        }

        await Task.Delay(100); // subscriptions
    }

    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await _host.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _host.Dispose();
        _engine.Dispose();
    }
}
