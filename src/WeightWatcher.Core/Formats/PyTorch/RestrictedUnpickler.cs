using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace WeightWatcher.Core.Formats.PyTorch;

/// <summary>
/// A pickle reader (protocols 0 to 5) that builds only plain data: dicts, lists, tuples, strings, bytes,
/// numbers, booleans, None, and the tensors, storages and containers whitelisted by
/// <see cref="TorchGlobals"/>. It never imports or runs anything: every other global is refused with a
/// <see cref="ModelFormatException"/> naming the file and the global. The stack, marks, memo, string
/// lengths and nesting depth are bounded (<see cref="PickleLimits"/>), and claimed lengths are checked
/// against the bytes that remain before anything is allocated. No code walks the built values recursively.
/// </summary>
public sealed partial class RestrictedUnpickler
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    private readonly Stream _input;
    private readonly string _file;
    private readonly Func<object?, object?>? _persistentLoad;
    private readonly List<object?> _stack = [];
    private readonly Stack<int> _marks = new();
    private readonly List<object?> _memo = [];
    private readonly Dictionary<long, object?> _sparseMemo = [];

    private RestrictedUnpickler(Stream input, string file, Func<object?, object?>? persistentLoad)
    {
        _input = input;
        _file = file;
        _persistentLoad = persistentLoad;
    }

    /// <summary>
    /// Reads one pickle from the current position of <paramref name="input"/> up to and including its STOP
    /// opcode, leaving the stream just after it.
    /// </summary>
    /// <param name="input">The bytes (ideally seekable, so that claimed lengths are checked before allocating).</param>
    /// <param name="file">The file named in error messages.</param>
    /// <param name="persistentLoad">Resolves persistent ids (PyTorch storages); null refuses them.</param>
    /// <exception cref="ModelFormatException">The pickle is malformed, truncated, too large, or names a refused global.</exception>
    public static object? Load(Stream input, string file, Func<object?, object?>? persistentLoad)
    {
        try
        {
            return new RestrictedUnpickler(input, file, persistentLoad).Run();
        }
        catch (EndOfStreamException e)
        {
            throw new ModelFormatException(file, null, "pickle ends before its STOP opcode (file is truncated)", e);
        }
        catch (DecoderFallbackException e)
        {
            throw new ModelFormatException(file, null, "pickle string is not valid UTF-8", e);
        }
        catch (IOException e)
        {
            throw new ModelFormatException(file, null, $"cannot read pickle: {e.Message}", e);
        }
    }

    private object? Run()
    {
        while (true)
        {
            int op = ReadByte();
            switch (op)
            {
                case 0x80: Proto(); break;
                case 0x95: Read(8); break; // FRAME: a length hint only
                case '.': return Result();
                case '(': PushMark(); break;
                case '0': Pop(); break;
                case '1': PopMark(); break;
                case '2': Push(Peek()); break;
                case 'N': Push(null); break;
                case 0x88: Push(true); break;
                case 0x89: Push(false); break;
                case 'I': Push(PickleText.ParseInt(_file, ReadLine())); break;
                case 'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(Read(4))); break;
                case 'K': Push((long)ReadByte()); break;
                case 'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Read(2))); break;
                case 'L': Push(PickleText.ParseLong(_file, ReadLine())); break;
                case 0x8a: Push(ReadLong(ReadByte())); break;
                case 0x8b: Push(ReadLong(ReadLength(4, PickleLimits.MaxLineBytes))); break;
                case 'F': Push(PickleText.ParseFloat(_file, ReadLine())); break;
                case 'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Read(8))); break;
                case 'S': Push(PickleText.ParseQuoted(_file, ReadLine())); break;
                case 'V': Push(PickleText.ParseRawUnicode(_file, ReadLine())); break;
                case 'T': Push(Encoding.Latin1.GetString(Read(ReadLength(4, PickleLimits.MaxStringBytes)))); break;
                case 'U': Push(Encoding.Latin1.GetString(Read(ReadByte()))); break;
                case 'X': Push(StrictUtf8.GetString(Read(ReadLength(4, PickleLimits.MaxStringBytes)))); break;
                case 0x8c: Push(StrictUtf8.GetString(Read(ReadByte()))); break;
                case 0x8d: Push(StrictUtf8.GetString(Read(ReadLength(8, PickleLimits.MaxStringBytes)))); break;
                case 'B': Push(Read(ReadLength(4, PickleLimits.MaxStringBytes))); break;
                case 'C': Push(Read(ReadByte())); break;
                case 0x8e: case 0x96: Push(Read(ReadLength(8, PickleLimits.MaxStringBytes))); break;
                case 0x98: break; // READONLY_BUFFER: no-op on bytes
                case ']': Push(new PickleList()); break;
                case ')': Push(new PickleTuple([])); break;
                case '}': Push(new PickleDict()); break;
                case 0x8f: Push(new PickleList()); break; // EMPTY_SET
                case 'l': Push(NewList(PopMark())); break;
                case 't': Push(NewTuple(PopMark())); break;
                case 0x91: Push(NewList(PopMark())); break; // FROZENSET
                case 0x85: TupleOfTop(1); break;
                case 0x86: TupleOfTop(2); break;
                case 0x87: TupleOfTop(3); break;
                case 'd': DictOfMark(); break;
                case 'a': Append(); break;
                case 'e': case 0x90: Appends(); break;
                case 's': SetItem(); break;
                case 'u': SetItemsOfMark(); break;
                case 'p': Memo(ParseMemoIndex(ReadLine()), Peek()); break;
                case 'q': Memo(ReadByte(), Peek()); break;
                case 'r': Memo(BinaryPrimitives.ReadUInt32LittleEndian(Read(4)), Peek()); break;
                case 0x94: Memo(_memo.Count + _sparseMemo.Count, Peek()); break;
                case 'g': Push(Recall(ParseMemoIndex(ReadLine()))); break;
                case 'h': Push(Recall(ReadByte())); break;
                case 'j': Push(Recall(BinaryPrimitives.ReadUInt32LittleEndian(Read(4)))); break;
                case 'c': Push(GlobalOfLines()); break;
                case 0x93: StackGlobal(); break;
                case 'i': Inst(); break;
                case 'o': Obj(); break;
                case 'R': Reduce(); break;
                case 0x81: NewObj(); break;
                case 0x92: NewObjEx(); break;
                case 'b': Build(); break;
                case 'P': Push(PersistentLoad(ReadLine())); break;
                case 'Q': Push(PersistentLoad(Pop())); break;
                case 0x82: case 0x83: case 0x84:
                    throw Fail("pickle uses the copyreg extension registry (EXT opcodes), which is not allowed");
                case 0x97:
                    throw Fail("pickle asks for an out-of-band buffer (NEXT_BUFFER), which is not supported");
                case -1:
                    throw new EndOfStreamException();
                default:
                    throw Fail($"unknown pickle opcode 0x{op:x2}{(_input.CanSeek ? $" at byte {_input.Position - 1}" : "")}");
            }
        }
    }

    private ModelFormatException Fail(string reason) => new(_file, null, reason);

    private int ReadByte()
    {
        int b = _input.ReadByte();
        return b < 0 ? throw new EndOfStreamException() : b;
    }

    private byte[] Read(int count)
    {
        if (_input.CanSeek && count > _input.Length - _input.Position)
        {
            throw Fail($"pickle claims {count} bytes at byte {_input.Position} but only {_input.Length - _input.Position} remain (file is truncated or corrupt)");
        }
        var buffer = new byte[count];
        _input.ReadExactly(buffer);
        return buffer;
    }

    private int ReadLength(int width, int limit)
    {
        var bytes = Read(width);
        ulong n = width == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(bytes) : BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (n > (ulong)limit)
        {
            throw Fail($"pickle claims an object of {n} bytes, more than the limit of {limit}");
        }
        return (int)n;
    }

    private object ReadLong(int byteCount)
    {
        if (byteCount > PickleLimits.MaxLineBytes)
        {
            throw Fail($"pickle integer of {byteCount} bytes exceeds the limit of {PickleLimits.MaxLineBytes}");
        }
        var big = new BigInteger(Read(byteCount), isUnsigned: false, isBigEndian: false);
        return big >= long.MinValue && big <= long.MaxValue ? (object)(long)big : big;
    }

    private string ReadLine()
    {
        var bytes = new List<byte>();
        while (true)
        {
            int b = ReadByte();
            if (b == '\n')
            {
                break;
            }
            if (bytes.Count >= PickleLimits.MaxLineBytes)
            {
                throw Fail($"pickle text argument is longer than {PickleLimits.MaxLineBytes} bytes");
            }
            bytes.Add((byte)b);
        }
        if (bytes.Count > 0 && bytes[^1] == '\r')
        {
            bytes.RemoveAt(bytes.Count - 1);
        }
        return StrictUtf8.GetString(bytes.ToArray());
    }

    private long ParseMemoIndex(string line) =>
        long.TryParse(line, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long v)
            ? v
            : throw Fail($"pickle memo index '{TorchGlobals.Printable(line)}' is not a number");

    /// <summary>A short type description of a pickle value, for messages.</summary>
    public static string Describe(object? value) => value switch
    {
        null => "None",
        PickleDict => "dict",
        PickleList => "list",
        PickleTuple => "tuple",
        PickleGlobal g => g.QualifiedName,
        TorchTensorRef => "tensor",
        TorchStorageRef => "storage",
        string => "str",
        byte[] => "bytes",
        bool => "bool",
        long or BigInteger => "int",
        double => "float",
        _ => value.GetType().Name,
    };
}
