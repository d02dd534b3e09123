using EdgeLlm.Device.Audio;
using EdgeLlm.Device.Gpio;
using EdgeLlm.Device.Speech;
using EdgeLlm.EdgeRuntime.Service;

namespace EdgeLlm.EdgeRuntime.Voice;

/// <summary>The board's own parts, as configured: GPIO (docs/gpio.md), arecord and PocketSphinx or Whisper (docs/voice.md).</summary>
public sealed class VoiceHardware(ServiceOptions options) : IVoiceHardware
{
    public (IPushButton Button, IStatusLed? Led) OpenButton() => GpioDevices.Open(options.Gpio);

    public IAudioSource OpenAudio() => AlsaAudioSource.FromOptions(options.Audio);

    public ISpeechToText OpenSpeech() => SpeechToTextFactory.Create(options.Speech);
}
