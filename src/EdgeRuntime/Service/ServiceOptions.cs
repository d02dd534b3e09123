using System.Globalization;
using System.Net;
using EdgeLlm.Device.Audio;
using EdgeLlm.Device.Gpio;
using EdgeLlm.Device.Power;
using EdgeLlm.Device.Speech;
using EdgeLlm.EdgeRuntime.Power;
using EdgeLlm.EdgeRuntime.Voice;
using EdgeLlm.Kernels.Model;
using Microsoft.Extensions.Configuration;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>Everything the MQTT service is configured with (section "EdgeLlm", env EDGELLM__*, flags).</summary>
public sealed record ServiceOptions
{
    public const string Section = "EdgeLlm";

    public string ModelPath { get; init; } = ServiceDefaults.ModelFile;

    /// <summary>Matmul threads; 0 = one per core.</summary>
    public int Threads { get; init; }

    /// <summary>KV cache length; 0 = the model's.</summary>
    public int ContextLength { get; init; }

    /// <summary>
    /// KV cache format: Auto (the default: Q8_0 when the head size is a multiple of 32, else F32), F32 (exact), F16, or
    /// Q8_0 (3.8x smaller than F32: MobileLLM-125M at 2 048 tokens needs 25 MB instead of 94 MB).
    /// </summary>
    public KvCacheType KvCache { get; init; } = KvCacheType.Auto;

    public string DeviceId { get; init; } = DefaultDeviceId();

    /// <summary>Prompts waiting behind the running one; one more gets a "busy" error.</summary>
    public int QueueLength { get; init; } = ServiceDefaults.QueueLength;

    /// <summary>Longest prompt in characters; longer gets "too_long".</summary>
    public int MaxPromptLength { get; init; } = ServiceDefaults.MaxPromptLength;

    /// <summary>Largest prompt payload in bytes; larger gets "too_long" without being parsed.</summary>
    public int MaxPayloadBytes { get; init; } = ServiceDefaults.MaxPayloadBytes;

    public int DefaultMaxTokens { get; init; } = ServiceDefaults.DefaultMaxTokens;

    public float Temperature { get; init; } = ServiceDefaults.Temperature;

    public int TopK { get; init; } = ServiceDefaults.TopK;

    public float TopP { get; init; } = ServiceDefaults.TopP;

    public float RepetitionPenalty { get; init; } = ServiceDefaults.RepetitionPenalty;

    /// <summary>Shared-subscription group; null = not in a fleet.</summary>
    public string? FleetGroup { get; init; }

    /// <summary>External broker "host:port"; null = run the embedded broker.</summary>
    public string? Broker { get; init; }

    /// <summary>Port of the embedded broker.</summary>
    public int MqttPort { get; init; } = ServiceDefaults.MqttPort;

    /// <summary>Address the embedded broker listens on.</summary>
    public string BindAddress { get; init; } = ServiceDefaults.BindAddress;

    /// <summary>With the embedded broker: the credentials every client must present (both or neither).</summary>
    public string? Username { get; init; }

    public string? Password { get; init; }

    /// <summary>MQTT client id; default "edgellm-{DeviceId}" (stable, so the broker keeps our session).</summary>
    public string? ClientId { get; init; }

    /// <summary>How long the broker keeps our session (and queued prompts) while we are away.</summary>
    public uint SessionExpirySeconds { get; init; } = ServiceDefaults.SessionExpirySeconds;

    public int KeepAliveSeconds { get; init; } = ServiceDefaults.KeepAliveSeconds;

    public int ReconnectMinDelayMs { get; init; } = ServiceDefaults.ReconnectMinDelayMs;

    public int ReconnectMaxDelayMs { get; init; } = ServiceDefaults.ReconnectMaxDelayMs;

    public TlsOptions Tls { get; init; } = new();

    /// <summary>The actions intents may call (EdgeLlm:Actions in the JSON configuration); null = no intents.</summary>
    public ActionRegistry? Actions { get; init; }

    public bool HomeAssistantDiscovery { get; init; } = ServiceDefaults.HomeAssistantDiscovery;

    public string HomeAssistantPrefix { get; init; } = ServiceDefaults.HomeAssistantPrefix;

    /// <summary>Time given to the running generation and its reply when the service stops.</summary>
    public int ShutdownTimeoutSeconds { get; init; } = ServiceDefaults.ShutdownTimeoutSeconds;

    /// <summary>The push button and status LED (docs/gpio.md).</summary>
    public GpioOptions Gpio { get; init; } = new();

    /// <summary>Where voice commands are recorded from and how they are endpointed (docs/voice.md).</summary>
    public AudioOptions Audio { get; init; } = new();

    /// <summary>Speech to text (docs/voice.md).</summary>
    public SpeechOptions Speech { get; init; } = new();

    /// <summary>The voice flow (docs/voice.md).</summary>
    public VoiceOptions Voice { get; init; } = new();

    /// <summary>The power source (docs/power.md).</summary>
    public PowerOptions Power { get; init; } = new();

    /// <summary>Energy-aware thread choice (docs/power.md).</summary>
    public EnergyOptions Energy { get; init; } = new();

    public string EffectiveClientId => string.IsNullOrEmpty(ClientId) ? $"edgellm-{DeviceId}" : ClientId;

    public static string DefaultDeviceId()
    {
        var host = Environment.MachineName;
        var chars = host.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_').ToArray();
        return chars.Length == 0 ? "edgellm" : new string(chars).ToLowerInvariant();
    }

    /// <summary>
    /// Reads section "EdgeLlm" value by value. Every value that does not parse or is out of range adds one line
    /// to <paramref name="errors"/>; the result then holds the defaults for those values.
    /// </summary>
    public static ServiceOptions Read(IConfiguration configuration, List<string> errors)
    {
        var s = configuration.GetSection(Section);
        var r = new Reader(s, errors);
        var d = new ServiceOptions();
        var tls = s.GetSection("Tls");
        var t = new Reader(tls, errors, Section + ":Tls");
        var o = new ServiceOptions
        {
            Actions = ActionRegistry.FromConfiguration(configuration, errors),
            ModelPath = r.String("ModelPath") ?? r.String("Model") ?? d.ModelPath,
            Threads = r.Int("Threads", d.Threads, 0, 1024),
            ContextLength = r.Int("ContextLength", d.ContextLength, 0, 1 << 20),
            KvCache = r.KvCache("KvCache", d.KvCache),
            DeviceId = r.String("DeviceId") ?? d.DeviceId,
            QueueLength = r.Int("QueueLength", d.QueueLength, 0, 100_000),
            MaxPromptLength = r.Int("MaxPromptLength", d.MaxPromptLength, 1, 16 << 20),
            MaxPayloadBytes = r.Int("MaxPayloadBytes", d.MaxPayloadBytes, 64, 256 << 20),
            DefaultMaxTokens = r.Int("DefaultMaxTokens", d.DefaultMaxTokens, 1, 1 << 20),
            Temperature = r.Float("Temperature", d.Temperature, 0f, 100f),
            TopK = r.Int("TopK", d.TopK, 0, 1 << 20),
            TopP = r.Float("TopP", d.TopP, float.Epsilon, 1f),
            RepetitionPenalty = r.Float("RepetitionPenalty", d.RepetitionPenalty, float.Epsilon, 100f),
            FleetGroup = r.String("FleetGroup"),
            Broker = r.String("Broker"),
            MqttPort = r.Int("MqttPort", d.MqttPort, 1, 65535),
            BindAddress = r.String("BindAddress") ?? d.BindAddress,
            Username = r.String("Username"),
            Password = r.String("Password"),
            ClientId = r.String("ClientId"),
            SessionExpirySeconds = (uint)r.Long("SessionExpirySeconds", d.SessionExpirySeconds, 0, uint.MaxValue),
            KeepAliveSeconds = r.Int("KeepAliveSeconds", d.KeepAliveSeconds, 1, 65535),
            ReconnectMinDelayMs = r.Int("ReconnectMinDelayMs", d.ReconnectMinDelayMs, 10, 3_600_000),
            ReconnectMaxDelayMs = r.Int("ReconnectMaxDelayMs", d.ReconnectMaxDelayMs, 10, 3_600_000),
            HomeAssistantDiscovery = r.Bool("HomeAssistantDiscovery", d.HomeAssistantDiscovery),
            HomeAssistantPrefix = r.String("HomeAssistantPrefix") ?? d.HomeAssistantPrefix,
            ShutdownTimeoutSeconds = r.Int("ShutdownTimeoutSeconds", d.ShutdownTimeoutSeconds, 1, 3600),
            Tls = new TlsOptions
            {
                Enabled = t.Bool("Enabled", false),
                CaFile = t.String("CaFile"),
                ClientCertificateFile = t.String("ClientCertificateFile"),
                ClientKeyFile = t.String("ClientKeyFile"),
                ClientCertificatePassword = t.String("ClientCertificatePassword"),
                AllowUntrusted = t.Bool("AllowUntrusted", false),
            },
            Gpio = ReadGpio(s, errors),
            Audio = ReadAudio(s, errors),
            Speech = ReadSpeech(s, errors),
            Voice = ReadVoice(s, errors),
            Power = ReadPower(s, errors),
            Energy = new EnergyOptions { Mode = SectionReader(s, "Energy", errors).String("Mode")?.ToLowerInvariant() ?? d.Energy.Mode },
        };

        // each device record checks its own ranges and combinations, one line per problem
        errors.AddRange(o.Gpio.Validate());
        errors.AddRange(o.Audio.Validate());
        errors.AddRange(o.Speech.Validate());
        errors.AddRange(o.Voice.Validate());
        errors.AddRange(o.Power.Validate());
        errors.AddRange(o.Energy.Validate());
        o.CheckConsistency(errors);
        return o;
    }

    private static Reader SectionReader(IConfiguration parent, string name, List<string> errors) =>
        new(parent.GetSection(name), errors, $"{Section}:{name}");

    private static GpioOptions ReadGpio(IConfiguration s, List<string> errors)
    {
        var r = SectionReader(s, "Gpio", errors);
        var d = new GpioOptions();
        return new GpioOptions
        {
            Enabled = r.Bool("Enabled", d.Enabled),
            Chip = r.String("Chip") ?? d.Chip,
            Driver = r.String("Driver") ?? d.Driver,
            ButtonLine = r.Int("ButtonLine", d.ButtonLine, int.MinValue, int.MaxValue),
            ActiveLow = r.Bool("ActiveLow", d.ActiveLow),
            LedLine = r.Int("LedLine", d.LedLine, int.MinValue, int.MaxValue),
            DebounceMs = r.Int("DebounceMs", d.DebounceMs, int.MinValue, int.MaxValue),
            ShortPressMs = r.Int("ShortPressMs", d.ShortPressMs, int.MinValue, int.MaxValue),
            LongHoldMs = r.Int("LongHoldMs", d.LongHoldMs, int.MinValue, int.MaxValue),
        };
    }

    private static AudioOptions ReadAudio(IConfiguration s, List<string> errors)
    {
        var r = SectionReader(s, "Audio", errors);
        var d = new AudioOptions();
        return new AudioOptions
        {
            Device = r.String("Device") ?? d.Device,
            MaxUtteranceSeconds = r.Double("MaxUtteranceSeconds", d.MaxUtteranceSeconds),
            SilenceMs = r.Int("SilenceMs", d.SilenceMs, int.MinValue, int.MaxValue),
            StartTimeoutSeconds = r.Double("StartTimeoutSeconds", d.StartTimeoutSeconds),
            ThresholdDb = r.Double("ThresholdDb", d.ThresholdDb),
        };
    }

    private static SpeechOptions ReadSpeech(IConfiguration s, List<string> errors)
    {
        var r = SectionReader(s, "Speech", errors);
        var d = new SpeechOptions();
        return new SpeechOptions
        {
            Engine = r.String("Engine")?.ToLowerInvariant() ?? d.Engine,
            Grammar = r.String("Grammar") ?? d.Grammar,
            PocketSphinxModel = r.String("PocketSphinxModel") ?? d.PocketSphinxModel,
            WhisperModel = r.String("WhisperModel") ?? d.WhisperModel,
            Language = r.String("Language") ?? d.Language,
        };
    }

    private static VoiceOptions ReadVoice(IConfiguration s, List<string> errors)
    {
        var r = SectionReader(s, "Voice", errors);
        var d = new VoiceOptions();
        return new VoiceOptions
        {
            Enabled = r.Bool("Enabled", d.Enabled),
            Speaker = r.String("Speaker") ?? d.Speaker,
            Hermes = r.Bool("Hermes", d.Hermes),
            SiteId = r.String("SiteId") ?? d.SiteId,
            Espeak = r.String("Espeak") ?? d.Espeak,
        };
    }

    private static PowerOptions ReadPower(IConfiguration s, List<string> errors)
    {
        var r = SectionReader(s, "Power", errors);
        var c = new Reader(s.GetSection("Power:Pi5Correction"), errors, $"{Section}:Power:Pi5Correction");
        var d = new PowerOptions();
        return new PowerOptions
        {
            Source = r.String("Source")?.ToLowerInvariant() ?? d.Source,
            I2cBus = r.Int("I2cBus", d.I2cBus, int.MinValue, int.MaxValue),
            I2cAddress = r.Int("I2cAddress", d.I2cAddress, int.MinValue, int.MaxValue),
            ShuntOhms = r.Double("ShuntOhms", d.ShuntOhms),
            MaxCurrentAmps = r.Double("MaxCurrentAmps", d.MaxCurrentAmps),
            HwmonRoot = r.String("HwmonRoot") ?? d.HwmonRoot,
            PowercapRoot = r.String("PowercapRoot") ?? d.PowercapRoot,
            Pi5Correction = new Pi5CorrectionOptions { A = c.Double("A", d.Pi5Correction.A), B = c.Double("B", d.Pi5Correction.B) },
            EstimatedIdleWatts = r.Double("EstimatedIdleWatts", d.EstimatedIdleWatts),
            EstimatedWattsPerCore = r.Double("EstimatedWattsPerCore", d.EstimatedWattsPerCore),
            SampleHz = r.Double("SampleHz", d.SampleHz),
            PublishIntervalSeconds = r.Double("PublishIntervalSeconds", d.PublishIntervalSeconds),
        };
    }

    private void CheckConsistency(List<string> errors)
    {
        if (Voice.Enabled && !Gpio.Enabled)
        {
            errors.Add($"{Section}:Voice:Enabled: the voice flow starts with the push button: set Gpio:Enabled to true too (docs/gpio.md)");
        }

        if (!File.Exists(ModelPath))
        {
            errors.Add($"{Section}:ModelPath: model file '{ModelPath}' not found");
        }

        if (!Topics.IsValidLevel(DeviceId) || DeviceId.Length > 64)
        {
            errors.Add($"{Section}:DeviceId: '{DeviceId}' must be 1-64 characters without '/', '+', '#' or NUL");
        }

        if (FleetGroup is not null && (!Topics.IsValidLevel(FleetGroup) || FleetGroup.Length > 64))
        {
            errors.Add($"{Section}:FleetGroup: '{FleetGroup}' must be 1-64 characters without '/', '+', '#' or NUL");
        }

        if (FleetGroup is not null && Broker is null)
        {
            errors.Add($"{Section}:FleetGroup: a fleet needs an external broker (Broker / --broker): the embedded broker has no shared subscriptions");
        }

        if (Broker is not null && !TryParseBroker(Broker, Tls.Enabled, out _, out _))
        {
            errors.Add($"{Section}:Broker: '{Broker}' is not HOST or HOST:PORT");
        }

        if (Broker is null && !IPAddress.TryParse(BindAddress, out _))
        {
            errors.Add($"{Section}:BindAddress: '{BindAddress}' is not an IP address");
        }

        if ((Username is null) != (Password is null) && Broker is null)
        {
            errors.Add($"{Section}:Username/Password: the embedded broker needs both or neither");
        }

        if (ReconnectMaxDelayMs < ReconnectMinDelayMs)
        {
            errors.Add($"{Section}:ReconnectMaxDelayMs: {ReconnectMaxDelayMs} is below ReconnectMinDelayMs {ReconnectMinDelayMs}");
        }

        if (!Topics.IsValidLevel(HomeAssistantPrefix))
        {
            errors.Add($"{Section}:HomeAssistantPrefix: '{HomeAssistantPrefix}' must be one topic level");
        }

        if (Tls.Enabled && Broker is null)
        {
            errors.Add($"{Section}:Tls:Enabled: TLS applies to an external broker; set Broker too");
        }

        foreach (var (key, file) in new[] { ("CaFile", Tls.CaFile), ("ClientCertificateFile", Tls.ClientCertificateFile), ("ClientKeyFile", Tls.ClientKeyFile) })
        {
            if (file is not null && !File.Exists(file))
            {
                errors.Add($"{Section}:Tls:{key}: file '{file}' not found");
            }
        }
    }

    /// <summary>Parses "host", "host:port" or "[v6]:port".</summary>
    public static bool TryParseBroker(string text, bool tls, out string host, out int port)
    {
        host = "";
        port = tls ? ServiceDefaults.MqttTlsPort : ServiceDefaults.MqttPort;
        text = text.Trim();
        if (text.StartsWith("mqtt://", StringComparison.OrdinalIgnoreCase))
        {
            text = text["mqtt://".Length..];
        }

        string portText = "";
        if (text.StartsWith('['))
        {
            var end = text.IndexOf(']');
            if (end < 0)
            {
                return false;
            }

            host = text[1..end];
            var rest = text[(end + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':')
                {
                    return false;
                }

                portText = rest[1..];
            }
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon >= 0 && text.IndexOf(':') == colon)
            {
                host = text[..colon];
                portText = text[(colon + 1)..];
            }
            else
            {
                host = text;
            }
        }

        if (host.Length == 0 || host.Any(char.IsWhiteSpace))
        {
            return false;
        }

        if (portText.Length > 0)
        {
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
            {
                return false;
            }
        }

        return true;
    }

    private sealed class Reader(IConfiguration section, List<string> errors, string prefix = Section)
    {
        public string? String(string key)
        {
            var v = section[key];
            return string.IsNullOrEmpty(v) ? null : v;
        }

        public int Int(string key, int fallback, int min, int max) => (int)Long(key, fallback, min, max);

        public long Long(string key, long fallback, long min, long max)
        {
            var v = String(key);
            if (v is null)
            {
                return fallback;
            }

            if (!long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var x))
            {
                errors.Add($"{prefix}:{key}: '{v}' is not an integer");
                return fallback;
            }

            if (x < min || x > max)
            {
                errors.Add($"{prefix}:{key}: {x} is out of range [{min}, {max}]");
                return fallback;
            }

            return x;
        }

        public float Float(string key, float fallback, float min, float max)
        {
            var v = String(key);
            if (v is null)
            {
                return fallback;
            }

            if (!float.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) || !float.IsFinite(x))
            {
                errors.Add($"{prefix}:{key}: '{v}' is not a number");
                return fallback;
            }

            if (x < min || x > max)
            {
                errors.Add($"{prefix}:{key}: {x.ToString(CultureInfo.InvariantCulture)} is out of range [{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)}]");
                return fallback;
            }

            return x;
        }

        /// <summary>A number; the range is the record's Validate() to judge.</summary>
        public double Double(string key, double fallback)
        {
            var v = String(key);
            if (v is null)
            {
                return fallback;
            }

            if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) || !double.IsFinite(x))
            {
                errors.Add($"{prefix}:{key}: '{v}' is not a number");
                return fallback;
            }

            return x;
        }

        public KvCacheType KvCache(string key, KvCacheType fallback)
        {
            switch (String(key)?.ToLowerInvariant())
            {
                case null: return fallback;
                case "auto": return KvCacheType.Auto;
                case "f32": return KvCacheType.F32;
                case "f16": return KvCacheType.F16;
                case "q8_0": return KvCacheType.Q8_0;
                case var v:
                    errors.Add($"{prefix}:{key}: '{v}' is not auto, f32, f16 or q8_0");
                    return fallback;
            }
        }

        public bool Bool(string key, bool fallback)
        {
            var v = String(key);
            if (v is null)
            {
                return fallback;
            }

            if (bool.TryParse(v, out var b))
            {
                return b;
            }

            if (v is "1" or "0")
            {
                return v == "1";
            }

            errors.Add($"{prefix}:{key}: '{v}' is not true or false");
            return fallback;
        }
    }
}
