using EdgeLlm.EdgeRuntime.Power;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>
/// What the device parts add to the retained status message (docs/mqtt.md, "Status"): the voice flow's state, the
/// power source, the last reply's joules per token, and the energy-aware thread choice. Written by the voice flow,
/// the energy meter and <c>serve</c>; read by <see cref="StatusPublisher"/>. Thread-safe.
/// </summary>
public sealed class DeviceStatus
{
    private readonly Lock _lock = new();
    private string? _voiceState;
    private string? _powerSource;
    private bool _powerIsEstimate;
    private double? _lastJoulesPerToken;
    private EnergySelection _energy;

    public DeviceStatus(ServiceOptions options)
    {
        int threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        _energy = new EnergySelection(options.Energy.Mode, threads, [], null);
        _voiceState = options.Voice.Enabled ? VoiceStates.Idle : null;
    }

    /// <summary>idle / listening / thinking / error; null when the voice flow is off.</summary>
    public string? VoiceState
    {
        get
        {
            lock (_lock)
            {
                return _voiceState;
            }
        }

        set
        {
            lock (_lock)
            {
                _voiceState = value;
            }
        }
    }

    /// <summary>The power monitor's source name; null without one.</summary>
    public string? PowerSource
    {
        get
        {
            lock (_lock)
            {
                return _powerSource;
            }
        }
    }

    public bool PowerIsEstimate
    {
        get
        {
            lock (_lock)
            {
                return _powerIsEstimate;
            }
        }
    }

    /// <summary>Joules per token of the last reply that had tokens and a power source.</summary>
    public double? LastJoulesPerToken
    {
        get
        {
            lock (_lock)
            {
                return _lastJoulesPerToken;
            }
        }

        set
        {
            lock (_lock)
            {
                _lastJoulesPerToken = value;
            }
        }
    }

    public EnergySelection Energy
    {
        get
        {
            lock (_lock)
            {
                return _energy;
            }
        }

        set
        {
            ArgumentNullException.ThrowIfNull(value);
            lock (_lock)
            {
                _energy = value;
            }
        }
    }

    public void SetPowerSource(string? source, bool isEstimate)
    {
        lock (_lock)
        {
            _powerSource = source;
            _powerIsEstimate = isEstimate;
        }
    }
}
