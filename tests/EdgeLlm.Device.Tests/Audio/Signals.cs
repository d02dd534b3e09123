namespace EdgeLlm.Device.Tests.Audio;

/// <summary>Synthetic test signals at 16 kHz (or any rate): tones at a level in dB full scale and white noise.</summary>
internal static class Signals
{
    public static float[] Tone(double hz, double seconds, int rate, double amplitude = 0.5)
    {
        var x = new float[(int)(seconds * rate)];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(amplitude * Math.Sin(2 * Math.PI * hz * i / rate));
        }

        return x;
    }

    /// <summary>A sine whose RMS is <paramref name="db"/> dBFS.</summary>
    public static short[] ToneDb(double hz, double seconds, double db) =>
        Pcm(Tone(hz, seconds, 16_000, Math.Sqrt(2) * Math.Pow(10, db / 20)));

    /// <summary>Gaussian-ish white noise whose RMS is <paramref name="db"/> dBFS.</summary>
    public static short[] NoiseDb(double seconds, double db, int seed)
    {
        var random = new Random(seed);
        double sigma = Math.Pow(10, db / 20);
        var x = new float[(int)(seconds * 16_000)];
        for (int i = 0; i < x.Length; i++)
        {
            double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
            x[i] = (float)(sigma * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }

        return Pcm(x);
    }

    public static short[] Pcm(float[] x) =>
        [.. x.Select(v => (short)Math.Clamp(Math.Round(v * 32768.0), short.MinValue, short.MaxValue))];

    /// <summary>Adds b onto a at sample offset (a grows as needed).</summary>
    public static short[] Mix(short[] a, short[] b, int offset = 0)
    {
        var r = new short[Math.Max(a.Length, offset + b.Length)];
        for (int i = 0; i < r.Length; i++)
        {
            int s = (i < a.Length ? a[i] : 0) + (i >= offset && i - offset < b.Length ? b[i - offset] : 0);
            r[i] = (short)Math.Clamp(s, short.MinValue, short.MaxValue);
        }

        return r;
    }

    public static short[] Concat(params short[][] parts) => [.. parts.SelectMany(p => p)];

    /// <summary>Amplitude of the <paramref name="hz"/> component (a single-bin DFT over whole periods).</summary>
    public static double Amplitude(ReadOnlySpan<float> x, double hz, int rate)
    {
        double re = 0, im = 0;
        for (int i = 0; i < x.Length; i++)
        {
            re += x[i] * Math.Cos(2 * Math.PI * hz * i / rate);
            im += x[i] * Math.Sin(2 * Math.PI * hz * i / rate);
        }

        return 2 * Math.Sqrt(re * re + im * im) / x.Length;
    }
}
