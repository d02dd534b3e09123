using System.Buffers.Binary;

namespace EdgeLlm.Device.Audio;

/// <summary>
/// RIFF/WAVE reading into 16 kHz mono 16-bit (docs/voice.md, "WAV files"): integer PCM of 8 (unsigned), 16, 24 and
/// 32 bits, IEEE float of 32 and 64 bits, plain or WAVE_FORMAT_EXTENSIBLE; channels are averaged and other rates go
/// through <see cref="Resampler"/>. Compressed formats and malformed or truncated files are refused with one line.
/// </summary>
public static class WavFile
{
    private const int FormatPcm = 1;
    private const int FormatFloat = 3;
    private const int FormatExtensible = 0xFFFE;

    /// <summary>512 MB of audio data (~4.5 hours of 16 kHz stereo): anything larger is not a voice command.</summary>
    private const long MaxDataBytes = 512L << 20;

    /// <summary>Reads and converts a WAV file; <see cref="AudioSourceException"/> when it cannot.</summary>
    public static short[] ReadMono16k(string path)
    {
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new AudioSourceException($"{path}: no such file");
            }

            if (info.Length > MaxDataBytes + 4096)
            {
                throw new AudioSourceException($"{path}: {info.Length} bytes is too large for a recording (limit {MaxDataBytes >> 20} MB)");
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AudioSourceException($"{path}: cannot read: {e.Message}", e);
        }

        return Decode(bytes, path);
    }

    /// <summary>Writes 16 kHz mono 16-bit PCM.</summary>
    public static void WriteMono16k(string path, ReadOnlySpan<short> samples)
    {
        var bytes = new byte[44 + samples.Length * 2];
        "RIFF"u8.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), 36 + samples.Length * 2);
        "WAVEfmt "u8.CopyTo(bytes.AsSpan(8));
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(16), 16);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(20), FormatPcm);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(22), 1);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(24), UtteranceRecorder.SampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(28), UtteranceRecorder.SampleRate * 2);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(32), 2);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(34), 16);
        "data"u8.CopyTo(bytes.AsSpan(36));
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(40), samples.Length * 2);
        for (int i = 0; i < samples.Length; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(44 + 2 * i), samples[i]);
        }

        File.WriteAllBytes(path, bytes);
    }

    /// <summary>Decodes the bytes of a WAV file; <paramref name="name"/> is used in error messages.</summary>
    public static short[] Decode(ReadOnlySpan<byte> file, string name)
    {
        if (file.Length < 12 || !file[..4].SequenceEqual("RIFF"u8) || !file.Slice(8, 4).SequenceEqual("WAVE"u8))
        {
            string what = file.Length >= 4 && (file[..4].SequenceEqual("RIFX"u8) || file[..4].SequenceEqual("RF64"u8))
                ? $"a {System.Text.Encoding.ASCII.GetString(file[..4])} file (big-endian or 64-bit WAV is not read)"
                : "not a RIFF/WAVE file";
            throw new AudioSourceException($"{name}: {what}: give a PCM WAV file (e.g. `sox IN -b 16 OUT.wav`)");
        }

        int pos = 12;
        int tag = 0, channels = 0, rate = 0, blockAlign = 0, bits = 0;
        bool haveFormat = false;
        while (pos + 8 <= file.Length)
        {
            var id = file.Slice(pos, 4);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(file[(pos + 4)..]);
            int body = pos + 8;
            long available = file.Length - body;
            if (id.SequenceEqual("fmt "u8))
            {
                if (size < 16 || size > available)
                {
                    throw new AudioSourceException($"{name}: malformed WAV: the fmt chunk is {size} bytes, {Math.Min(available, uint.MaxValue)} remain");
                }

                var fmt = file.Slice(body, (int)size);
                tag = BinaryPrimitives.ReadUInt16LittleEndian(fmt);
                channels = BinaryPrimitives.ReadUInt16LittleEndian(fmt[2..]);
                rate = BinaryPrimitives.ReadInt32LittleEndian(fmt[4..]);
                blockAlign = BinaryPrimitives.ReadUInt16LittleEndian(fmt[12..]);
                bits = BinaryPrimitives.ReadUInt16LittleEndian(fmt[14..]);
                if (tag == FormatExtensible)
                {
                    if (size < 40)
                    {
                        throw new AudioSourceException($"{name}: malformed WAV: an extensible fmt chunk of {size} bytes (needs 40)");
                    }

                    // The sub-format GUID starts with the plain format code.
                    tag = BinaryPrimitives.ReadUInt16LittleEndian(fmt[24..]);
                }

                haveFormat = true;
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (!haveFormat)
                {
                    throw new AudioSourceException($"{name}: malformed WAV: no fmt chunk before the data");
                }

                long length = size;
                if (size > available)
                {
                    // Writers that stream to a pipe cannot seek back and leave 0 or ~4 GB; anything else is a cut file.
                    if (size is 0 or >= 0x7FFF_F000)
                    {
                        length = available;
                    }
                    else
                    {
                        throw new AudioSourceException($"{name}: truncated WAV: the header says {size} bytes of audio, the file holds {available}");
                    }
                }
                else if (size == 0)
                {
                    length = available;
                }

                return Convert(file.Slice(body, (int)length), tag, channels, rate, blockAlign, bits, name);
            }

            pos = body + (int)Math.Min(size + (size & 1), (uint)(file.Length - body + 1));
        }

        throw new AudioSourceException(haveFormat
            ? $"{name}: malformed or truncated WAV: no data chunk"
            : $"{name}: malformed or truncated WAV: no fmt chunk");
    }

    private static short[] Convert(ReadOnlySpan<byte> data, int tag, int channels, int rate, int blockAlign, int bits, string name)
    {
        if (tag != FormatPcm && tag != FormatFloat)
        {
            throw new AudioSourceException($"{name}: {FormatName(tag)} (WAV format 0x{tag:X4}) is not read: give PCM or float WAV (e.g. `sox IN -b 16 OUT.wav`)");
        }

        bool supported = tag == FormatPcm ? bits is 8 or 16 or 24 or 32 : bits is 32 or 64;
        if (!supported)
        {
            throw new AudioSourceException($"{name}: {bits}-bit {(tag == FormatPcm ? "PCM" : "float")} WAV is not read (PCM 8/16/24/32, float 32/64)");
        }

        if (channels < 1 || channels > 32)
        {
            throw new AudioSourceException($"{name}: malformed WAV: {channels} channels");
        }

        if (rate < 1000 || rate > 768_000)
        {
            throw new AudioSourceException($"{name}: malformed WAV: sample rate {rate} Hz");
        }

        int bytesPerSample = bits / 8;
        if (blockAlign != channels * bytesPerSample)
        {
            throw new AudioSourceException($"{name}: malformed WAV: block align {blockAlign} for {channels} × {bits}-bit samples");
        }

        int frames = data.Length / blockAlign;
        if (tag == FormatPcm && bits == 16 && channels == 1 && rate == UtteranceRecorder.SampleRate)
        {
            var direct = new short[frames];
            for (int i = 0; i < frames; i++)
            {
                direct[i] = BinaryPrimitives.ReadInt16LittleEndian(data[(2 * i)..]);
            }

            return direct;
        }

        var mono = new float[frames];
        for (int i = 0; i < frames; i++)
        {
            double sum = 0;
            for (int c = 0; c < channels; c++)
            {
                sum += Sample(data.Slice(i * blockAlign + c * bytesPerSample, bytesPerSample), tag, bits);
            }

            mono[i] = (float)(sum / channels);
        }

        float[] converted = Resampler.Resample(mono, rate, UtteranceRecorder.SampleRate);
        var result = new short[converted.Length];
        for (int i = 0; i < converted.Length; i++)
        {
            result[i] = (short)Math.Clamp(Math.Round(converted[i] * 32768.0), short.MinValue, short.MaxValue);
        }

        return result;
    }

    private static double Sample(ReadOnlySpan<byte> b, int tag, int bits) => (tag, bits) switch
    {
        (FormatPcm, 8) => (b[0] - 128) / 128.0,
        (FormatPcm, 16) => BinaryPrimitives.ReadInt16LittleEndian(b) / 32768.0,
        (FormatPcm, 24) => ((b[0] | (b[1] << 8) | (b[2] << 16)) << 8 >> 8) / 8388608.0,
        (FormatPcm, 32) => BinaryPrimitives.ReadInt32LittleEndian(b) / 2147483648.0,
        (FormatFloat, 32) => Math.Clamp(BinaryPrimitives.ReadSingleLittleEndian(b), -1f, 1f),
        _ => Math.Clamp(BinaryPrimitives.ReadDoubleLittleEndian(b), -1.0, 1.0),
    };

    private static string FormatName(int tag) => tag switch
    {
        0x0002 => "MS ADPCM",
        0x0006 => "A-law",
        0x0007 => "µ-law",
        0x0011 => "IMA ADPCM",
        0x0031 => "GSM 6.10",
        0x0050 or 0x0055 => "MPEG audio",
        0x2000 => "AC-3",
        0xF1AC => "FLAC",
        _ => "a compressed format",
    };
}
