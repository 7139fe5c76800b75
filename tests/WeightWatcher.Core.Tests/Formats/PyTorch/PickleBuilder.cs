using System.Buffers.Binary;
using System.Text;

namespace WeightWatcher.Core.Tests.Formats.PyTorch;

/// <summary>Writes pickle opcodes by hand, so that tests control every byte (no Python needed).</summary>
internal sealed class PickleBuilder
{
    private readonly List<byte> _bytes = [];

    public PickleBuilder Proto(int version = 2) => Op(0x80).Raw((byte)version);

    public PickleBuilder Op(byte op)
    {
        _bytes.Add(op);
        return this;
    }

    public PickleBuilder Op(char op) => Op((byte)op);

    public PickleBuilder Raw(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    public PickleBuilder Line(string text) => Raw(Encoding.UTF8.GetBytes(text + "\n"));

    public PickleBuilder Mark() => Op('(');

    public PickleBuilder Stop() => Op('.');

    /// <summary>BINUNICODE.</summary>
    public PickleBuilder Str(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        Op('X');
        var len = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(len, b.Length);
        return Raw(len).Raw(b);
    }

    /// <summary>BININT1, BININT2 or BININT, else LONG1.</summary>
    public PickleBuilder Int(long v)
    {
        if (v is >= 0 and < 256)
        {
            return Op('K').Raw((byte)v);
        }
        if (v is >= 0 and < 65536)
        {
            return Op('M').Raw((byte)v, (byte)(v >> 8));
        }
        if (v is >= int.MinValue and <= int.MaxValue)
        {
            var b = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(b, (int)v);
            return Op('J').Raw(b);
        }
        var l = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(l, v);
        return Op(0x8a).Raw(8).Raw(l);
    }

    /// <summary>GLOBAL 'module name'.</summary>
    public PickleBuilder Global(string module, string name) => Op('c').Line(module).Line(name);

    /// <summary>STACK_GLOBAL with SHORT_BINUNICODE operands.</summary>
    public PickleBuilder StackGlobal(string module, string name) => ShortStr(module).ShortStr(name).Op(0x93);

    public PickleBuilder ShortStr(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        return Op(0x8c).Raw((byte)b.Length).Raw(b);
    }

    public PickleBuilder Tuple(params long[] items)
    {
        Mark();
        foreach (var i in items)
        {
            Int(i);
        }
        return Op('t');
    }

    public PickleBuilder EmptyTuple() => Op(')');

    public PickleBuilder EmptyDict() => Op('}');

    public PickleBuilder Reduce() => Op('R');

    public PickleBuilder False() => Op(0x89);

    public PickleBuilder True() => Op(0x88);

    public PickleBuilder None() => Op('N');

    public byte[] ToArray() => [.. _bytes];

    public int Length => _bytes.Count;
}
