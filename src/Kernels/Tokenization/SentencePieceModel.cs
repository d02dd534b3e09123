using System.Text;

namespace EdgeLlm.Kernels.Tokenization;

/// <summary>
/// The parts of a SentencePiece <c>ModelProto</c> (sentencepiece_model.proto, proto2) a Llama tokenizer needs.
/// A minimal protobuf wire-format reader: unknown fields are skipped.
/// </summary>
internal sealed class SentencePieceModel
{
    public const int Unigram = 1;
    public const int Bpe = 2;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public List<string> Pieces { get; } = [];

    public List<float> Scores { get; } = [];

    public List<TokenType> Types { get; } = [];

    // Defaults are the proto's declared defaults.
    public int ModelType { get; private set; } = Unigram;

    public int UnknownId { get; private set; }

    public int BosId { get; private set; } = 1;

    public int EosId { get; private set; } = 2;

    public bool AddDummyPrefix { get; private set; } = true;

    public static SentencePieceModel Parse(ReadOnlySpan<byte> data)
    {
        var model = new SentencePieceModel();
        var reader = new ProtoReader(data);
        while (reader.Next(out int field, out int wire))
        {
            switch (field, wire)
            {
                case (1, ProtoReader.Len): model.ReadPiece(reader.ReadBytes()); break;      // repeated SentencePiece pieces
                case (2, ProtoReader.Len): model.ReadTrainerSpec(reader.ReadBytes()); break; // TrainerSpec trainer_spec
                case (3, ProtoReader.Len): model.ReadNormalizerSpec(reader.ReadBytes()); break;
                default: reader.Skip(wire); break;
            }
        }

        return model;
    }

    private void ReadPiece(ReadOnlySpan<byte> data)
    {
        string piece = "";
        float score = 0;
        var type = TokenType.Normal;
        var reader = new ProtoReader(data);
        while (reader.Next(out int field, out int wire))
        {
            switch (field, wire)
            {
                case (1, ProtoReader.Len):
                    try
                    {
                        piece = StrictUtf8.GetString(reader.ReadBytes());
                    }
                    catch (DecoderFallbackException)
                    {
                        throw new InvalidDataException($"piece {Pieces.Count} is not valid UTF-8");
                    }

                    break;
                case (2, ProtoReader.I32): score = reader.ReadFloat(); break;
                case (3, ProtoReader.Varint): type = (TokenType)(int)reader.ReadVarint(); break;
                default: reader.Skip(wire); break;
            }
        }

        if (!Enum.IsDefined(type))
        {
            throw new InvalidDataException($"piece {Pieces.Count} has unknown type {(int)type}");
        }

        Pieces.Add(piece);
        Scores.Add(score);
        Types.Add(type);
    }

    private void ReadTrainerSpec(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data);
        while (reader.Next(out int field, out int wire))
        {
            if (wire != ProtoReader.Varint)
            {
                reader.Skip(wire);
                continue;
            }

            // int32 fields: negative values are written as 64-bit two's complement varints.
            int value = (int)reader.ReadVarint();
            switch (field)
            {
                case 3: ModelType = value; break;
                case 40: UnknownId = value; break;
                case 41: BosId = value; break;
                case 42: EosId = value; break;
                default: break;
            }
        }
    }

    private void ReadNormalizerSpec(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data);
        while (reader.Next(out int field, out int wire))
        {
            if (field == 3 && wire == ProtoReader.Varint)
            {
                AddDummyPrefix = reader.ReadVarint() != 0;
            }
            else
            {
                reader.Skip(wire);
            }
        }
    }

    private ref struct ProtoReader(ReadOnlySpan<byte> data)
    {
        public const int Varint = 0;
        public const int I64 = 1;
        public const int Len = 2;
        public const int I32 = 5;

        private readonly ReadOnlySpan<byte> _data = data;
        private int _pos;

        public bool Next(out int field, out int wire)
        {
            field = wire = 0;
            if (_pos >= _data.Length)
            {
                return false;
            }

            ulong key = ReadVarint();
            field = (int)(key >> 3);
            wire = (int)(key & 7);
            if (field == 0)
            {
                throw new InvalidDataException($"field number 0 at byte {_pos}");
            }

            return true;
        }

        public ulong ReadVarint()
        {
            ulong value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (_pos >= _data.Length)
                {
                    throw new InvalidDataException("truncated varint");
                }

                byte b = _data[_pos++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }

            throw new InvalidDataException("varint longer than 10 bytes");
        }

        public float ReadFloat() => BitConverter.Int32BitsToSingle((int)ReadFixed(4));

        public ReadOnlySpan<byte> ReadBytes()
        {
            ulong length = ReadVarint();
            if (length > (ulong)(_data.Length - _pos))
            {
                throw new InvalidDataException($"length {length} at byte {_pos} runs past the end ({_data.Length})");
            }

            ReadOnlySpan<byte> bytes = _data.Slice(_pos, (int)length);
            _pos += (int)length;
            return bytes;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case Varint: ReadVarint(); break;
                case I64: ReadFixed(8); break;
                case Len: ReadBytes(); break;
                case I32: ReadFixed(4); break;
                default: throw new InvalidDataException($"unsupported wire type {wire} at byte {_pos}");
            }
        }

        private ulong ReadFixed(int size)
        {
            if (_data.Length - _pos < size)
            {
                throw new InvalidDataException("truncated fixed-size field");
            }

            ulong value = 0;
            for (int i = 0; i < size; i++)
            {
                value |= (ulong)_data[_pos + i] << (8 * i);
            }

            _pos += size;
            return value;
        }
    }
}
