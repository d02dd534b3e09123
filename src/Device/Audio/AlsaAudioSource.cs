using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace EdgeLlm.Device.Audio;

/// <summary>
/// Live audio from ALSA through <c>arecord -D DEVICE -r 16000 -c 1 -f S16_LE -t raw -q</c> as a child process (what
/// Rhasspy's and Home Assistant's satellites do; docs/voice.md). Each enumeration of <see cref="CaptureAsync"/> starts
/// one arecord and kills it when the enumeration ends. Failures become one-line <see cref="AudioSourceException"/>s
/// from arecord's exit code and stderr; a device that opens but delivers nothing for <see cref="StallTimeout"/> is
/// killed and reported, so a capture never hangs.
/// </summary>
public sealed class AlsaAudioSource : IAudioSource
{
    private readonly object _gate = new();
    private Process? _process;
    private bool _disposed;

    /// <param name="device">ALSA device name for <c>-D</c>.</param>
    /// <param name="arecord">The arecord executable (a name looked up on PATH, or a path).</param>
    /// <param name="stallTimeout">How long a read may wait for audio; default 2 s (a working device delivers 32 KB/s).</param>
    public AlsaAudioSource(string device = "default", string arecord = "arecord", TimeSpan? stallTimeout = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(device);
        ArgumentException.ThrowIfNullOrWhiteSpace(arecord);
        Device = device;
        Arecord = arecord;
        StallTimeout = stallTimeout ?? TimeSpan.FromSeconds(2);
    }

    public static AlsaAudioSource FromOptions(AudioOptions options) => new(options.Device);

    public string Device { get; }

    public string Arecord { get; }

    public TimeSpan StallTimeout { get; }

    public int SampleRate => UtteranceRecorder.SampleRate;

    public string Name => "alsa:" + Device;

    public async IAsyncEnumerable<ReadOnlyMemory<short>> CaptureAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var process = Start();
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        var stdout = process.StandardOutput.BaseStream;
        // A killed child closes its stdout, which ends a pending read: this is how cancellation reaches the pipe.
        using var onCancel = cancellationToken.Register(() => Kill(process));
        try
        {
            var bytes = new byte[UtteranceRecorder.FrameSamples * 2];
            while (true)
            {
                int filled = await ReadFrameAsync(stdout, bytes, process, cancellationToken);
                cancellationToken.ThrowIfCancellationRequested();
                if (filled < 2)
                {
                    break;
                }

                var frame = new short[filled / 2];
                Buffer.BlockCopy(bytes, 0, frame, 0, frame.Length * 2);
                yield return frame;
                if (filled < bytes.Length)
                {
                    break;
                }
            }

            // arecord only stops on its own when it fails (no -d given): its stderr says why.
            Kill(process);
            await WaitForExitAsync(process);
            throw Describe(process.HasExited ? process.ExitCode : -1, await stderr);
        }
        finally
        {
            Kill(process);
            lock (_gate)
            {
                if (ReferenceEquals(_process, process))
                {
                    _process = null;
                }
            }

            process.Dispose();
        }
    }

    public ValueTask DisposeAsync()
    {
        Process? running;
        lock (_gate)
        {
            _disposed = true;
            running = _process;
        }

        if (running is not null)
        {
            Kill(running);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>One line for arecord's failure: its exit code and the last line of its stderr, mapped to the fix.</summary>
    internal AudioSourceException Describe(int exitCode, string stderr)
    {
        string[] lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string last = lines.Length > 0 ? lines[^1] : $"exit code {exitCode}";
        string all = stderr;
        string message =
            all.Contains("Device or resource busy", StringComparison.Ordinal)
                ? $"device {Device} is busy: another program is recording"
            // Checked before "Unknown PCM": with no card at all, ALSA also reports "default" as an unknown PCM.
            : all.Contains("cannot find card", StringComparison.Ordinal) || all.Contains("Cannot get card index", StringComparison.Ordinal)
                    || all.Contains("No such device", StringComparison.Ordinal)
                ? $"device {Device}: no such sound card (is the microphone plugged in? `arecord -l` lists the cards)"
            : all.Contains("Unknown PCM", StringComparison.Ordinal)
                ? $"no ALSA device named {Device} (`arecord -L` lists the names)"
            : all.Contains("Permission denied", StringComparison.Ordinal)
                ? $"device {Device}: permission denied (add the user to the audio group: sudo usermod -aG audio $USER)"
            : all.Contains("Invalid argument", StringComparison.Ordinal) || all.Contains("not available", StringComparison.Ordinal)
                ? $"device {Device} cannot record 16 kHz mono S16_LE (try plughw:… instead of hw:…): {last}"
            : $"device {Device}: arecord failed: {last}";
        return new AudioSourceException($"{Name}: {message}");
    }

    private Process Start()
    {
        var psi = new ProcessStartInfo(Arecord)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (string a in (string[])["-D", Device, "-r", "16000", "-c", "1", "-f", "S16_LE", "-t", "raw", "-q"])
        {
            psi.ArgumentList.Add(a);
        }

        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new AudioSourceException($"{Name}: {Arecord} did not start");
        }
        catch (Win32Exception e)
        {
            throw new AudioSourceException(
                Arecord == "arecord"
                    ? $"{Name}: arecord not found: install alsa-utils (sudo apt-get install alsa-utils)"
                    : $"{Name}: cannot run {Arecord}: {e.Message} (install alsa-utils, or fix the path)", e);
        }

        lock (_gate)
        {
            if (_disposed)
            {
                Kill(process);
                process.Dispose();
                throw new ObjectDisposedException(nameof(AlsaAudioSource));
            }

            _process = process;
        }

        return process;
    }

    private async Task<int> ReadFrameAsync(Stream stdout, byte[] bytes, Process process, CancellationToken cancellationToken)
    {
        int filled = 0;
        while (filled < bytes.Length)
        {
            using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            stall.CancelAfter(StallTimeout);
            int n;
            try
            {
                n = await stdout.ReadAsync(bytes.AsMemory(filled), stall.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Kill(process);
                throw new AudioSourceException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{Name}: device {Device} delivered no audio for {StallTimeout.TotalSeconds:0.#} s (is another program holding it, or is the device stalled?)"));
            }

            if (n == 0)
            {
                break;
            }

            filled += n;
        }

        return filled;
    }

    private static async Task WaitForExitAsync(Process process)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            // Killed already; the exit code may be unknown, the stderr text still says why.
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // Exited between the check and the kill, or never started.
        }
    }
}
