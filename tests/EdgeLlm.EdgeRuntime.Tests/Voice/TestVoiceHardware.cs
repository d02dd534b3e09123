using System.Device.Gpio;
using EdgeLlm.Device.Audio;
using EdgeLlm.Device.Gpio;
using EdgeLlm.Device.Speech;
using EdgeLlm.EdgeRuntime.Voice;

namespace EdgeLlm.EdgeRuntime.Tests.Voice;

/// <summary>
/// The voice flow's parts for tests: the real <see cref="GpioPushButton"/> and <see cref="GpioStatusLed"/> on a
/// <see cref="FakeGpioDriver"/> (real time), a <see cref="MicrophoneStandIn"/>, and the real speech engine the options
/// name (PocketSphinx with a grammar).
/// </summary>
public sealed class TestVoiceHardware : IVoiceHardware, IDisposable
{
    public const int ButtonLine = 17;
    public const int LedLine = 27;

    private GpioController? _controller;

    public FakeGpioDriver Driver { get; } = new();

    /// <summary>Short debounce and gesture times so the tests do not wait seconds per gesture.</summary>
    public GpioOptions Gpio { get; init; } = new() { Enabled = true, DebounceMs = 10, ShortPressMs = 250, LongHoldMs = 700 };

    public MicrophoneStandIn Microphone { get; } = new();

    /// <summary>What the speech engine is made from (the service's Speech section).</summary>
    public SpeechOptions Speech { get; set; } = new();

    public RecordingLed? Led { get; private set; }

    /// <summary>Thrown by <see cref="OpenButton"/> (a chip that cannot be opened).</summary>
    public GpioDeviceException? ButtonFailure { get; init; }

    public (IPushButton Button, IStatusLed? Led) OpenButton()
    {
        if (ButtonFailure is not null)
        {
            throw ButtonFailure;
        }

        _controller = new GpioController(Driver);
        var button = new GpioPushButton(_controller, ButtonLine, Gpio, TimeProvider.System);
        Led = new RecordingLed(new GpioStatusLed(_controller, LedLine, TimeProvider.System));
        return (button, Led);
    }

    public IAudioSource OpenAudio() => Microphone;

    public ISpeechToText OpenSpeech() => SpeechToTextFactory.Create(Speech);

    /// <summary>The contact closes (active low), bouncing three times 1 ms apart.</summary>
    public void Press() => Bounce(PinValue.Low);

    public void Release() => Bounce(PinValue.High);

    public void Dispose()
    {
        _controller?.Dispose();
        Driver.Dispose();
    }

    private void Bounce(PinValue level)
    {
        var other = level == PinValue.High ? PinValue.Low : PinValue.High;
        foreach (var v in new[] { level, other, level, other })
        {
            Driver.Drive(ButtonLine, v);
            Thread.Sleep(1);
        }

        Driver.Drive(ButtonLine, level);
    }
}
