using System.Text;

namespace EdgeLlm.Kernels.Tests.Import.Hf;

/// <summary>
/// Writes the pickle that torch.save (pickle protocol 2) writes for a state dict: an OrderedDict built by REDUCE and
/// filled by SETITEMS, each tensor a <c>torch._utils._rebuild_tensor_v2</c> REDUCE whose first argument is a
/// BINPERSID of <c>('storage', torch.XStorage, key, 'cpu', numel)</c>, globals memoized (BINPUT / BINGET), and the
/// state dict's <c>_metadata</c> attached by BUILD.
/// </summary>
public sealed class TorchPickleWriter
{
    private readonly MemoryStream _s = new();
    private readonly Dictionary<string, int> _memoGlobals = new(StringComparer.Ordinal);
    private int _memo;

    /// <summary>One tensor entry: a view of a storage.</summary>
    public sealed record TensorView(string Name, string StorageClass, string Key, long StorageNumel, long Offset, long[] Size, long[] Stride);

    public static byte[] StateDict(IEnumerable<TensorView> tensors)
    {
        var w = new TorchPickleWriter();
        w.Op(0x80).Op(2);                               // PROTO 2
        w.Global("collections", "OrderedDict");
        w.Op(')').Op('R').Put();                        // EMPTY_TUPLE REDUCE -> OrderedDict()
        w.Op('(');                                      // MARK
        foreach (var t in tensors)
        {
            w.Str(t.Name);
            w.Global("torch._utils", "_rebuild_tensor_v2");
            w.Op('(');                                  // MARK: args
            w.Op('(').Str("storage").Global("torch", t.StorageClass).Str(t.Key).Str("cpu").Int(t.StorageNumel).Op('t').Put();
            w.Op('Q');                                  // BINPERSID
            w.Int(t.Offset);
            w.Tuple(t.Size).Tuple(t.Stride);
            w.Op(0x89);                                 // NEWFALSE: requires_grad
            w.Global("collections", "OrderedDict").Op(')').Op('R').Put(); // backward_hooks
            w.Op('t').Put();                            // TUPLE
            w.Op('R').Put();                            // REDUCE
        }

        w.Op('u');                                      // SETITEMS
        // state: {'_metadata': OrderedDict([('', {'version': 1})])}, applied with BUILD
        w.Op('}').Put().Str("_metadata");
        w.Global("collections", "OrderedDict").Op(')').Op('R').Put();
        w.Str("").Op('}').Put().Str("version").Int(1).Op('s').Op('s');
        w.Op('s').Op('b');                              // SETITEM, BUILD
        w.Op('.');                                      // STOP
        return w._s.ToArray();
    }

    private TorchPickleWriter Op(int b)
    {
        _s.WriteByte((byte)b);
        return this;
    }

    private TorchPickleWriter Put()
    {
        if (_memo < 256)
        {
            Op('q').Op(_memo);
        }
        else
        {
            Op('r');
            _s.Write(BitConverter.GetBytes(_memo));
        }

        _memo++;
        return this;
    }

    private TorchPickleWriter Global(string module, string name)
    {
        string key = module + "\n" + name;
        if (_memoGlobals.TryGetValue(key, out int id))
        {
            if (id < 256)
            {
                return Op('h').Op(id);                  // BINGET
            }

            Op('j');
            _s.Write(BitConverter.GetBytes(id));
            return this;
        }

        Op('c');
        _s.Write(Encoding.ASCII.GetBytes(module + "\n" + name + "\n"));
        _memoGlobals[key] = _memo;
        return Put();
    }

    private TorchPickleWriter Str(string v)
    {
        byte[] b = Encoding.UTF8.GetBytes(v);
        Op('X');
        _s.Write(BitConverter.GetBytes(b.Length));
        _s.Write(b);
        return Put();
    }

    private TorchPickleWriter Int(long v)
    {
        if (v is >= 0 and < 256)
        {
            return Op('K').Op((int)v);
        }

        if (v is >= 0 and < 65536)
        {
            Op('M');
            _s.Write(BitConverter.GetBytes((ushort)v));
            return this;
        }

        if (v is >= int.MinValue and <= int.MaxValue)
        {
            Op('J');
            _s.Write(BitConverter.GetBytes((int)v));
            return this;
        }

        // LONG1: little-endian two's complement, 8 bytes is always enough here
        Op(0x8a).Op(8);
        _s.Write(BitConverter.GetBytes(v));
        return this;
    }

    private TorchPickleWriter Tuple(long[] items)
    {
        if (items.Length == 0)
        {
            return Op(')');
        }

        if (items.Length <= 3)
        {
            foreach (long i in items)
            {
                Int(i);
            }

            return Op(0x85 + items.Length - 1).Put();   // TUPLE1..3
        }

        Op('(');
        foreach (long i in items)
        {
            Int(i);
        }

        return Op('t').Put();
    }
}
