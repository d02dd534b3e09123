using System.CommandLine;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using EdgeLlm.Device.Audio;
using EdgeLlm.Device.Gpio;
using EdgeLlm.Device.Power;
using EdgeLlm.Device.Speech;
using EdgeLlm.EdgeRuntime.Service;
using EdgeLlm.Kernels;
using EdgeLlm.Kernels.Gguf;
using Microsoft.Extensions.Configuration;

namespace EdgeLlm.EdgeRuntime.Cli;

/// <summary>
/// <c>edgellm doctor</c>: checks, on the board, what <c>serve</c> needs with the configuration it would read (the same
/// files, <c>--config FILE</c> and EDGELLM__* variables): the model, the GPIO chip and lines, the I2C power sensor,
/// the microphone, the speech engine and its model, and the broker. One line per item, OK / FAIL / SKIP (not used by
/// this configuration), each failure followed by its fix; exit code 1 when anything failed. Every check opens the
/// real thing the service would open, through the same Device code, and closes it again.
/// </summary>
public static class DoctorCommand
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan MicrophoneTimeout = TimeSpan.FromSeconds(3);

    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "JSON settings file (section \"EdgeLlm\"), as for serve", HelpName = "FILE" };
        var model = new Option<string?>("--model", "-m") { Description = "check this model instead of the configured one", HelpName = "PATH" };
        var command = new Command("doctor", "Check what the service needs on this board (model, GPIO, I2C power sensor, microphone, " +
            "speech model, broker): each item OK or FAIL with its fix; exit code 1 when any check fails")
        {
            config, model,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            IConfigurationRoot configuration;
            try
            {
                var flags = new Dictionary<string, string?>();
                if (parse.GetValue(model) is { } m)
                {
                    flags[$"{ServiceOptions.Section}:ModelPath"] = m;
                }

                configuration = ServiceHost.BuildConfiguration(parse.GetValue(config), flags);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or FormatException or InvalidOperationException)
            {
                Console.Error.WriteLine($"edgellm doctor: configuration: {e.Message.ReplaceLineEndings(" ")}");
                return 2;
            }

            if (ServiceIsRunning())
            {
                Console.Out.WriteLine("note: the edgellm service is running and holds the GPIO lines and the embedded broker's port: " +
                                      "stop it first (sudo systemctl stop edgellm) for those checks to mean anything");
            }

            var checks = await RunAsync(configuration, cancellationToken).ConfigureAwait(false);
            foreach (var check in checks)
            {
                Console.Out.WriteLine(check);
            }

            int failed = checks.Count(c => c.Status == DoctorStatus.Fail);
            int run = checks.Count(c => c.Status != DoctorStatus.Skip);
            Console.Out.WriteLine(failed == 0 ? $"doctor: all {run} checks passed" : $"doctor: {failed} of {run} checks failed");
            return failed == 0 ? 0 : 1;
        });
        return command;
    }

    /// <summary>Every check, in the order the service meets them.</summary>
    public static async Task<IReadOnlyList<DoctorCheck>> RunAsync(IConfiguration configuration, CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        var service = ServiceOptions.Read(configuration, errors);
        var section = configuration.GetSection(ServiceOptions.Section);
        bool voice = IsTrue(section["Voice:Enabled"]);
        return
        [
            Configuration(errors),
            Model(service.ModelPath),
            Gpio(section.GetSection("Gpio")),
            Power(section.GetSection("Power")),
            await MicrophoneAsync(voice, section.GetSection("Audio"), cancellationToken).ConfigureAwait(false),
            Speech(voice, section.GetSection("Speech")),
            await BrokerAsync(service, cancellationToken).ConfigureAwait(false),
        ];
    }

    /// <summary>The service's own settings; the model file has its own item.</summary>
    internal static DoctorCheck Configuration(IReadOnlyList<string> errors)
    {
        var other = errors.Where(e => !e.StartsWith($"{ServiceOptions.Section}:ModelPath:", StringComparison.Ordinal)).ToList();
        return other.Count == 0
            ? DoctorCheck.Ok("configuration", "the EdgeLlm settings are valid")
            : DoctorCheck.Fail("configuration", string.Join("; ", other), "correct these settings in the --config file (or EDGELLM__* variables); the defaults are in systemd/appsettings.json");
    }

    /// <summary>The model file: there, readable, and a GGUF the engine loads (tensors and vocabulary checked).</summary>
    internal static DoctorCheck Model(string path)
    {
        const string item = "model";
        string full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            return DoctorCheck.Fail(item, $"{full}: not found",
                $"set EdgeLlm:ModelPath (or --model) to a GGUF file; the demo model ships beside the executable as {ServiceDefaults.ModelPath}");
        }

        try
        {
            using var probe = File.OpenRead(full);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return DoctorCheck.Fail(item, $"{full}: cannot be read by user {Environment.UserName}: {e.Message}",
                "make it readable by the service user (sudo chmod a+r FILE; every folder above it needs a+x)");
        }

        try
        {
            // Threads 1 and a two-token cache: the check costs a map of the file, not the model's working memory.
            using var lm = LanguageModel.Load(full, new ModelLoadOptions { Threads = 1, ContextLength = 2 });
            var d = lm.Description;
            string types = string.Join("/", d.TensorTypes.Select(t => t.Type));
            return DoctorCheck.Ok(item, $"{full}: {d.Config.Name}, {d.Parameters:N0} parameters ({types}), context {d.Config.ContextLength}, GGUF v{d.GgufVersion}");
        }
        catch (Exception e) when (e is GgufFormatException or InvalidDataException or NotSupportedException or ArgumentException or IOException)
        {
            return DoctorCheck.Fail(item, e.Message,
                "the file is damaged or not a model this engine runs: copy it again, or make it anew (edgellm pull / edgellm convert)");
        }
    }

    /// <summary>The button and LED lines, opened as the service opens them (when Gpio:Enabled).</summary>
    internal static DoctorCheck Gpio(IConfigurationSection section)
    {
        const string item = "gpio";
        if (!TryBind(section, item, s => s.Get<GpioOptions>(), out GpioOptions? options, out var failure))
        {
            return failure;
        }

        if (!options.Enabled)
        {
            return DoctorCheck.Skip(item, "Gpio:Enabled is false (no button or LED)");
        }

        const string fix = "check the wiring (hardware/boards/), `gpiodetect` and `gpioinfo`, Gpio:Chip/ButtonLine/LedLine and the gpio group; or set Gpio:Enabled to false";
        try
        {
            var (button, led) = GpioDevices.Open(options);
            button.Dispose();
            led?.Dispose();
            string chip = options.Chip.Length == 0 ? "the Raspberry Pi header's chip" : options.Chip;
            return DoctorCheck.Ok(item, $"{chip}: button line {options.ButtonLine}{(led is null ? "" : $", LED line {options.LedLine}")} opened");
        }
        catch (GpioDeviceException e)
        {
            return DoctorCheck.Fail(item, e.Message, fix);
        }
    }

    /// <summary>The power source the service would use; with ina219/ina236 (or auto) the I2C bus and sensor address.</summary>
    internal static DoctorCheck Power(IConfigurationSection section)
    {
        const string item = "power";
        if (!TryBind(section, item, s => s.Get<PowerOptions>(), out PowerOptions? options, out var failure))
        {
            return failure;
        }

        string? invalid = options.Validate().FirstOrDefault();
        if (invalid is not null)
        {
            return DoctorCheck.Fail(item, invalid, "correct Power in the configuration (docs/power.md)");
        }

        string sensor = $"I2C bus {options.I2cBus} at 0x{options.I2cAddress:x2}";
        string i2cFix = $"check the INA2xx wiring (SDA, SCL, 3.3 V, GND), `i2cdetect -y {options.I2cBus}`, Power:I2cBus/I2cAddress, " +
                        "that I2C is on (sudo raspi-config nonint do_i2c 0) and the i2c group";
        if (options.Source != PowerSourceNames.Auto)
        {
            using var monitor = PowerMonitorFactory.TryOpen(options.Source, options, PowerPlatform.Default, out string reason);
            return monitor is not null
                ? DoctorCheck.Ok(item, $"{monitor.Source}{(monitor.IsEstimate ? " (estimate)" : "")}: {monitor.Description}")
                : DoctorCheck.Fail(item, reason, options.Source is PowerSourceNames.Ina219 or PowerSourceNames.Ina236
                    ? i2cFix
                    : "set Power:Source to auto, or to a source this board has (edgellm power lists why each is absent)");
        }

        // auto: an INA2xx is what it looks for first; without one the service measures with the next source found.
        var skipped = new List<string>();
        try
        {
            using var monitor = PowerMonitorFactory.Open(options, notes: skipped);
            string detail = $"auto chose {monitor.Source}{(monitor.IsEstimate ? " (estimate)" : "")}: {monitor.Description}";
            if (monitor.Source is PowerSourceNames.Ina219 or PowerSourceNames.Ina236)
            {
                return DoctorCheck.Ok(item, detail);
            }

            string ina = skipped.FirstOrDefault(s => s.StartsWith(PowerSourceNames.Ina219, StringComparison.Ordinal)) ?? $"no INA219/INA236 on {sensor}";
            return DoctorCheck.Ok(item, $"{detail} (no sensor on {sensor}: {ina})");
        }
        catch (PowerSourceException e)
        {
            return DoctorCheck.Fail(item, e.Message, i2cFix);
        }
    }

    /// <summary>The microphone (when Voice:Enabled): the configured ALSA device delivers 16 kHz mono audio.</summary>
    internal static async Task<DoctorCheck> MicrophoneAsync(bool voice, IConfigurationSection section, CancellationToken cancellationToken)
    {
        const string item = "microphone";
        if (!voice)
        {
            return DoctorCheck.Skip(item, "Voice:Enabled is false");
        }

        if (!TryBind(section, item, s => s.Get<AudioOptions>(), out AudioOptions? options, out var failure))
        {
            return failure;
        }

        const string fix = "plug in the USB microphone; `arecord -l` lists the capture cards and `arecord -L` the device names: " +
                           "set Audio:Device (e.g. plughw:1,0); the service user needs the audio group";
        string? invalid = options.Validate().FirstOrDefault();
        if (invalid is not null)
        {
            return DoctorCheck.Fail(item, invalid, fix);
        }

        await using var source = new AlsaAudioSource(options.Device, stallTimeout: MicrophoneTimeout);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(MicrophoneTimeout * 2);
            await foreach (var frame in source.CaptureAsync(timeout.Token).ConfigureAwait(false))
            {
                return DoctorCheck.Ok(item, $"{source.Name} delivers audio ({source.SampleRate} Hz mono, {frame.Length} samples read)");
            }

            return DoctorCheck.Fail(item, $"{source.Name}: arecord ended without audio", fix);
        }
        catch (AudioSourceException e)
        {
            return DoctorCheck.Fail(item, e.Message, fix);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return DoctorCheck.Fail(item, $"{source.Name}: no audio within {MicrophoneTimeout.TotalSeconds * 2:0} s", fix);
        }
    }

    /// <summary>The speech engine (when Voice:Enabled): its library and model load as the service loads them.</summary>
    internal static DoctorCheck Speech(bool voice, IConfigurationSection section)
    {
        const string item = "speech";
        if (!voice)
        {
            return DoctorCheck.Skip(item, "Voice:Enabled is false");
        }

        if (!TryBind(section, item, s => s.Get<SpeechOptions>(), out SpeechOptions? options, out var failure))
        {
            return failure;
        }

        try
        {
            using var engine = SpeechToTextFactory.Create(options);
            return DoctorCheck.Ok(item, $"{engine.Name} loaded");
        }
        catch (SpeechException e)
        {
            return DoctorCheck.Fail(item, e.Message,
                "install PocketSphinx and its model (sudo apt-get install libpocketsphinx3 pocketsphinx-en-us), or set Speech:PocketSphinxModel / Speech:WhisperModel");
        }
    }

    /// <summary>An external broker accepts a TCP connection; without one, the embedded broker's port is free.</summary>
    internal static async Task<DoctorCheck> BrokerAsync(ServiceOptions options, CancellationToken cancellationToken)
    {
        const string item = "broker";
        if (options.Broker is not null)
        {
            if (!ServiceOptions.TryParseBroker(options.Broker, options.Tls.Enabled, out string host, out int port))
            {
                return DoctorCheck.Fail(item, $"'{options.Broker}' is not HOST or HOST:PORT", "set Broker to the broker's HOST:PORT, or leave it empty for the embedded broker");
            }

            using var client = new TcpClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ConnectTimeout);
            try
            {
                await client.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
                return DoctorCheck.Ok(item, $"{host}:{port} accepts connections");
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                string why = e is SocketException s ? s.Message : $"no answer within {ConnectTimeout.TotalSeconds:0} s";
                return DoctorCheck.Fail(item, $"cannot connect to {host}:{port}: {why}",
                    "start the broker (sudo systemctl start mosquitto) or correct Broker; empty Broker runs the embedded one");
            }
        }

        var address = IPAddress.TryParse(options.BindAddress, out var a) ? a : IPAddress.Loopback;
        try
        {
            using var listener = new TcpListener(address, options.MqttPort);
            listener.Start();
            return DoctorCheck.Ok(item, $"embedded broker: {options.BindAddress}:{options.MqttPort} is free");
        }
        catch (SocketException e)
        {
            return DoctorCheck.Fail(item, $"embedded broker: cannot listen on {options.BindAddress}:{options.MqttPort}: {e.Message}",
                $"stop what holds the port (`ss -ltnp 'sport = :{options.MqttPort}'`; the edgellm service itself, if it is running), " +
                "set MqttPort to another port, or set Broker to use that broker");
        }
    }

    /// <summary>Binds a section; <paramref name="bind"/> names the type, so the binding generator writes the code for it.</summary>
    private static bool TryBind<T>(IConfigurationSection section, string item, Func<IConfigurationSection, T?> bind,
        [NotNullWhen(true)] out T? options, [NotNullWhen(false)] out DoctorCheck? failure)
        where T : class, new()
    {
        try
        {
            options = bind(section) ?? new T();
            failure = null;
            return true;
        }
        catch (InvalidOperationException e)
        {
            options = null;
            failure = DoctorCheck.Fail(item, $"{section.Path}: {e.Message.ReplaceLineEndings(" ")}", $"correct {section.Path} in the configuration");
            return false;
        }
    }

    /// <summary>True when systemd runs the installed unit (hardware/systemd/edgellm.service); false without systemd.</summary>
    private static bool ServiceIsRunning()
    {
        try
        {
            var psi = new System.Diagnostics.ProcessStartInfo("systemctl") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { "is-active", "--quiet", "edgellm.service" })
            {
                psi.ArgumentList.Add(a);
            }

            using var p = System.Diagnostics.Process.Start(psi);
            if (p is null || !p.WaitForExit(2000))
            {
                return false;
            }

            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static bool IsTrue(string? value) => bool.TryParse(value, out bool b) ? b : value == "1";
}
