using EdgeLlm.Device.Audio;
using NUnit.Framework;

namespace EdgeLlm.Device.Tests.Audio;

public class ResamplerTests
{
    [TestCase(22_050, 1000.0)]
    [TestCase(44_100, 3000.0)]
    [TestCase(48_000, 440.0)]
    [TestCase(8_000, 1000.0)]
    [TestCase(11_025, 2500.0)]
    public void APassbandToneKeepsItsFrequencyAndLevel(int inRate, double hz)
    {
        float[] input = Signals.Tone(hz, 1.0, inRate, 0.5);
        float[] output = Resampler.Resample(input, inRate, 16_000);
        Assert.That(output, Has.Length.EqualTo(16_000).Within(1));
        // Skip the filter's edges, then measure over whole periods.
        var middle = output.AsSpan(2000, 12_000);
        Assert.That(Signals.Amplitude(middle, hz, 16_000), Is.EqualTo(0.5).Within(0.005));
        for (int i = 0; i < middle.Length; i++)
        {
            double expected = 0.5 * Math.Sin(2 * Math.PI * hz * (i + 2000) / 16_000.0);
            Assert.That(middle[i], Is.EqualTo(expected).Within(0.01), $"sample {i + 2000}");
        }
    }

    [Test]
    public void ATonePastTheNewNyquistDoesNotFoldBack()
    {
        // 10 kHz at 22 050 Hz folds to 6 kHz at 16 kHz: linear interpolation keeps it at about a third of its level.
        float[] input = Signals.Tone(10_000, 1.0, 22_050, 0.5);
        float[] output = Resampler.Resample(input, 22_050, 16_000);
        var middle = output.AsSpan(2000, 12_000);
        double folded = Signals.Amplitude(middle, 6050, 16_000);
        double rms = Math.Sqrt(middle.ToArray().Average(v => (double)v * v));
        Assert.That(20 * Math.Log10(folded / 0.5), Is.LessThan(-60));
        Assert.That(20 * Math.Log10(rms / (0.5 / Math.Sqrt(2))), Is.LessThan(-55));
    }

    [Test]
    public void TheSameRateIsACopy()
    {
        float[] input = Signals.Tone(1000, 0.1, 16_000);
        Assert.That(Resampler.Resample(input, 16_000, 16_000), Is.EqualTo(input));
    }
}
