using EdgeLlm.Device.Audio;
using EdgeLlm.Device.Speech;
using EdgeLlm.Device.Tests.Audio;
using NUnit.Framework;

namespace EdgeLlm.Device.Tests.Speech;

/// <summary>
/// The live path end to end: an arecord stand-in streams raw 16 kHz S16_LE (espeak-ng speech with room noise, then
/// noise only) exactly as arecord would, the recorder endpoints it hands-free and kills the stand-in, PocketSphinx
/// transcribes the utterance. There is no microphone here; the stand-in is the process seam.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class LiveCommandTests
{
    [Test]
    public async Task ACommandSpokenIntoTheMicrophoneIsEndpointedAndTranscribed()
    {
        using var temp = new TempFolder();
        short[] speech = WavFile.ReadMono16k(Espeak.Say("turn off the kitchen light", temp.Path, "cmd.wav"));
        short[] take = Signals.Concat(new short[16_000 / 2], speech, new short[4 * 16_000]);
        take = Signals.Mix(take, Signals.NoiseDb(take.Length / 16_000.0, -55, 21));
        string raw = temp.File("take.raw");
        File.WriteAllBytes(raw, [.. take.SelectMany(BitConverter.GetBytes)]);
        string arecord = temp.File("arecord");
        File.WriteAllText(arecord, $"#!/bin/sh\ncat '{raw}'\nexec sleep 60\n");
        File.SetUnixFileMode(arecord, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string grammar = temp.File("commands.jsgf");
        File.WriteAllText(grammar, PocketSphinxTests.Grammar);

        await using var microphone = new AlsaAudioSource("plughw:1,0", arecord);
        var utterance = await new UtteranceRecorder(new AudioOptions()).RecordAsync(microphone, CancellationToken.None);
        Assert.That(utterance.End, Is.EqualTo(UtteranceEnd.Silence));
        Assert.That(utterance.RecordedSeconds, Is.LessThan(take.Length / 16_000.0 - 2), "ended on silence, not at the end of the take");

        using var stt = SpeechToTextFactory.Create(new SpeechOptions { Grammar = grammar });
        var transcript = await stt.TranscribeAsync(utterance.Samples, CancellationToken.None);
        Assert.That(transcript.Text, Is.EqualTo("turn off the kitchen light"));
    }
}
