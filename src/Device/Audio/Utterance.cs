namespace EdgeLlm.Device.Audio;

/// <summary>One recorded utterance: 16 kHz mono samples with leading and trailing silence trimmed.</summary>
/// <param name="Samples">Empty when no speech was heard.</param>
/// <param name="End">Why recording stopped.</param>
/// <param name="RecordedSeconds">How much audio was read, before trimming.</param>
public sealed record Utterance(ReadOnlyMemory<short> Samples, UtteranceEnd End, double RecordedSeconds)
{
    public bool HasSpeech => !Samples.IsEmpty;

    public double Seconds => Samples.Length / (double)UtteranceRecorder.SampleRate;
}
