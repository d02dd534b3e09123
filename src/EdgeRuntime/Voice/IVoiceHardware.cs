using EdgeLlm.Device.Audio;
using EdgeLlm.Device.Gpio;
using EdgeLlm.Device.Speech;

namespace EdgeLlm.EdgeRuntime.Voice;

/// <summary>
/// Where the voice flow's parts come from: the GPIO button and LED, the microphone and the speech engine. The
/// service registers <see cref="VoiceHardware"/>; tests register a fake-driver button and a WAV source instead.
/// </summary>
public interface IVoiceHardware
{
    /// <summary>Throws <see cref="GpioDeviceException"/> (one line naming the chip, line and fix).</summary>
    (IPushButton Button, IStatusLed? Led) OpenButton();

    /// <summary>The microphone; its failures come when it is captured from (<see cref="AudioSourceException"/>).</summary>
    IAudioSource OpenAudio();

    /// <summary>Throws <see cref="SpeechException"/> (one line with the fix).</summary>
    ISpeechToText OpenSpeech();
}
