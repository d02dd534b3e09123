namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>
/// The service's default settings, in one place: <see cref="ServiceOptions"/> starts from them, <c>serve --help</c>
/// prints them and hardware/systemd/appsettings.json spells them out (a test checks that file against these).
/// </summary>
public static class ServiceDefaults
{
    /// <summary>The demo model, relative to the executable's folder: the build and `dotnet publish` copy it there.</summary>
    public const string ModelPath = "models/stories260K-q8_0.gguf";

    /// <summary>
    /// <see cref="ModelPath"/> beside the executable, whatever the working directory: `dotnet run` in the repository,
    /// a published folder and /opt/edgellm all find it (a relative name was resolved against the working directory,
    /// so `edgellm serve` started elsewhere did not find it).
    /// </summary>
    public static string ModelFile => Path.Combine(AppContext.BaseDirectory, ModelPath);

    /// <summary>Prompts waiting behind the running one.</summary>
    public const int QueueLength = 8;

    public const int MaxPromptLength = 8192;

    public const int MaxPayloadBytes = 64 * 1024;

    public const int DefaultMaxTokens = 256;

    public const float Temperature = 0.8f;

    public const int TopK = 40;

    public const float TopP = 0.95f;

    public const float RepetitionPenalty = 1.0f;

    public const int MqttPort = 1883;

    public const int MqttTlsPort = 8883;

    public const string BindAddress = "127.0.0.1";

    /// <summary>Seven days: a board switched off over a long weekend still finds its queued prompts.</summary>
    public const uint SessionExpirySeconds = 7 * 24 * 3600;

    public const int KeepAliveSeconds = 15;

    public const int ReconnectMinDelayMs = 200;

    public const int ReconnectMaxDelayMs = 15_000;

    public const bool HomeAssistantDiscovery = true;

    public const string HomeAssistantPrefix = "homeassistant";

    public const int ShutdownTimeoutSeconds = 10;

    // The device sections (Gpio, Audio, Speech, Power) take their defaults from the Device options records
    // (GpioOptions, AudioOptions, SpeechOptions, PowerOptions), which own them; the host-only sections are here.

    public const bool VoiceEnabled = false;

    /// <summary>"" = replies are not spoken.</summary>
    public const string VoiceSpeaker = "";

    public const bool VoiceHermes = false;

    /// <summary>"" = the device id.</summary>
    public const string VoiceSiteId = "";

    public const string VoiceEspeak = "espeak-ng";

    /// <summary>off | efficient | performance.</summary>
    public const string EnergyMode = "off";
}
