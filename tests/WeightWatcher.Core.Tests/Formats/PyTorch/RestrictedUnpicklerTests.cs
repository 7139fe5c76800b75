using System.Diagnostics;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Formats.PyTorch;
using WeightWatcher.Core.Tests.Support;

namespace WeightWatcher.Core.Tests.Formats.PyTorch;

/// <summary>
/// The restricted unpickler: plain data is built, every global outside the whitelist is refused with a
/// message naming it, and hostile sizes or nesting fail fast.
/// </summary>
public sealed class RestrictedUnpicklerTests : IDisposable
{
    private const string File = "hostile.pkl";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static object? Load(byte[] pickle, Func<object?, object?>? pid = null) =>
        RestrictedUnpickler.Load(new MemoryStream(pickle), File, pid);

    private static ModelFormatException Refused(byte[] pickle, params string[] fragments)
    {
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<ModelFormatException>(() => Load(pickle));
        Assert.True(watch.ElapsedMilliseconds < 2000, $"took {watch.ElapsedMilliseconds} ms");
        Assert.Contains(File, e.Message, StringComparison.Ordinal);
        foreach (var f in fragments)
        {
            Assert.Contains(f, e.Message, StringComparison.Ordinal);
        }
        return e;
    }

    [Fact]
    public void Plain_data_of_every_protocol_is_built()
    {
        var p = new PickleBuilder().Proto(4).Op(0x95).Raw(new byte[8]).EmptyDict().Op(0x94).Mark()
            .ShortStr("list").Op(']').Mark().Int(1).Int(300).Int(70000).Int(-5).Int(1L << 40).Op('e')
            .ShortStr("tuple").Str("a").Op(0x88).Op(0x86)
            .ShortStr("none").None()
            .ShortStr("float").Op('G').Raw(0x3F, 0xF8, 0, 0, 0, 0, 0, 0)
            .ShortStr("text0").Op('I').Line("42")
            .ShortStr("str0").Op('S').Line("'it\\'s'")
            .ShortStr("bytes").Op('C').Raw(2, 9, 8)
            .ShortStr("memo").Op('h').Raw(0)
            .Op('u').Stop().ToArray();
        var d = Assert.IsType<PickleDict>(Load(p));
        Assert.True(d.TryGet("list", out var list));
        Assert.Equal([1L, 300L, 70000L, -5L, 1L << 40], Assert.IsType<PickleList>(list).Items);
        Assert.True(d.TryGet("tuple", out var tuple));
        Assert.Equal(["a", true], Assert.IsType<PickleTuple>(tuple).Items);
        Assert.True(d.TryGet("none", out var none));
        Assert.Null(none);
        Assert.True(d.TryGet("float", out var f));
        Assert.Equal(1.5, f);
        Assert.True(d.TryGet("text0", out var i));
        Assert.Equal(42L, i);
        Assert.True(d.TryGet("str0", out var s));
        Assert.Equal("it's", s);
        Assert.True(d.TryGet("bytes", out var b));
        Assert.Equal(new byte[] { 9, 8 }, b);
        Assert.True(d.TryGet("memo", out var self));
        Assert.Same(d, self);
    }

    public static TheoryData<string, string> Globals => new()
    {
        { "os", "system" },
        { "posix", "system" },
        { "nt", "system" },
        { "builtins", "eval" },
        { "builtins", "exec" },
        { "__builtin__", "getattr" },
        { "subprocess", "Popen" },
        { "torch.nn.modules.conv", "Conv2d" },
        { "numpy.core.multiarray", "_reconstruct" },
        { "torch", "load" },
        { "torch._utils", "_rebuild_tensor_v3" },
        { "collections", "OrderedDictX" },
        { "unknown.module", "Anything" },
    };

    [Theory]
    [MemberData(nameof(Globals))]
    public void GLOBAL_then_REDUCE_is_refused_naming_the_global(string module, string name)
    {
        var p = new PickleBuilder().Proto(2).Global(module, name).Mark().Str("echo pwned").Op('t').Reduce().Stop().ToArray();
        Refused(p, $"'{module}.{name}'", "not allowed");
    }

    [Theory]
    [MemberData(nameof(Globals))]
    public void STACK_GLOBAL_is_refused_naming_the_global(string module, string name)
    {
        var p = new PickleBuilder().Proto(4).StackGlobal(module, name).Mark().Str("id").Op('t').Reduce().Stop().ToArray();
        Refused(p, $"'{module}.{name}'");
        // The BINUNICODE and memoized forms of the operands too.
        var q = new PickleBuilder().Proto(4).Str(module).Op(0x94).Str(name).Op(0x94).Op(0x93).EmptyTuple().Reduce().Stop().ToArray();
        Refused(q, $"'{module}.{name}'");
    }

    [Fact]
    public void INST_OBJ_and_NEWOBJ_with_forbidden_classes_are_refused()
    {
        Refused(new PickleBuilder().Mark().Str("ls").Op('i').Line("os").Line("system").Stop().ToArray(), "'os.system'");
        Refused(new PickleBuilder().Proto(2).Mark().Global("subprocess", "Popen").Str("ls").Op('o').Stop().ToArray(), "'subprocess.Popen'");
        Refused(new PickleBuilder().Proto(2).Global("builtins", "object").EmptyTuple().Op(0x81).Stop().ToArray(), "'builtins.object'");
    }

    [Fact]
    public void Refusal_happens_when_the_global_is_named_even_inside_a_valid_state_dict_file()
    {
        var pickle = new PickleBuilder().Proto(2).EmptyDict().Mark().Str("x.weight").Global("os", "system").Str("rm -rf /").Op(0x85).Reduce().Op('u').Stop().ToArray();
        string path = _dir.File("evil.pt");
        System.IO.File.WriteAllBytes(path, TorchFiles.Zip(pickle, []));
        var e = ModelFiles.AssertOpenRejected(path, null, "'os.system'");
        Assert.Contains("evil.pt", e.Message, StringComparison.Ordinal);
        string legacy = _dir.File("evil.th");
        System.IO.File.WriteAllBytes(legacy, TorchFiles.Legacy(pickle, []));
        ModelFiles.AssertOpenRejected(legacy, null, "'os.system'");
    }

    [Fact]
    public void Unsupported_storage_types_are_refused_by_name()
    {
        Refused(new PickleBuilder().Proto(2).Global("torch", "ComplexFloatStorage").Stop().ToArray(), "'torch.ComplexFloatStorage'", "not supported");
        Refused(new PickleBuilder().Proto(2).Global("torch", "QUInt8Storage").Stop().ToArray(), "'torch.QUInt8Storage'", "not supported");
    }

    [Fact]
    public void Memo_flood_is_refused()
    {
        var memo = new PickleBuilder().Proto(4).None();
        for (int i = 0; i <= PickleLimits.MaxMemo; i++)
        {
            memo.Op(0x94);
        }
        Refused(memo.Stop().ToArray(), "memo grows beyond");
    }

    [Fact]
    public void Calling_a_storage_class_or_a_non_global_is_refused()
    {
        Refused(new PickleBuilder().Proto(2).Global("torch", "FloatStorage").Mark().Int(10).Op('t').Reduce().Stop().ToArray(), "torch.FloatStorage", "cannot be called");
        Refused(new PickleBuilder().Proto(2).Str("os.system").EmptyTuple().Reduce().Stop().ToArray(), "cannot be called");
        Refused(new PickleBuilder().Proto(2).Op(0x82).Raw(1).Stop().ToArray(), "extension registry");
    }

    [Fact]
    public void Hundred_thousand_nested_tuples_or_lists_are_refused_quickly()
    {
        var tuples = new PickleBuilder().Proto(2).EmptyTuple();
        for (int i = 0; i < 100_000; i++)
        {
            tuples.Op(0x85);
        }
        Refused(tuples.Stop().ToArray(), "deeper than");

        var lists = new PickleBuilder().Proto(2);
        for (int i = 0; i < 100_000; i++)
        {
            lists.Op(']');
        }
        for (int i = 0; i < 99_999; i++)
        {
            lists.Op('a');
        }
        Refused(lists.Stop().ToArray(), "deeper than");

        var self = new PickleBuilder().Proto(2).Op(']').Op('q').Raw(0);
        for (int i = 0; i < 100_000; i++)
        {
            self.Op('h').Raw(0).Op('a');
        }
        Refused(self.Stop().ToArray(), "deeper than");
    }

    [Fact]
    public void Stack_mark_and_memo_floods_are_refused()
    {
        var stack = new PickleBuilder().Proto(2);
        for (int i = 0; i < PickleLimits.MaxStack + 1; i++)
        {
            stack.None();
        }
        Refused(stack.Stop().ToArray(), "stack grows beyond");
        var marks = new PickleBuilder().Proto(2);
        for (int i = 0; i < PickleLimits.MaxMarks + 1; i++)
        {
            marks.Mark();
        }
        Refused(marks.Stop().ToArray(), "open marks");
    }

    [Theory]
    [InlineData(0x58, 4, 0x7FFFFFFFUL)] // BINUNICODE
    [InlineData(0x42, 4, 0xFFFFFFFFUL)] // BINBYTES
    [InlineData(0x8d, 8, 1UL << 60)] // BINUNICODE8
    [InlineData(0x8e, 8, ulong.MaxValue)] // BINBYTES8
    [InlineData(0x96, 8, 1UL << 40)] // BYTEARRAY8
    [InlineData(0x54, 4, 0x7FFFFFFFUL)] // BINSTRING
    [InlineData(0x8b, 4, 0x7FFFFFFFUL)] // LONG4
    [InlineData(0x58, 4, 1000UL)] // a modest length that the file does not hold
    public void Huge_length_claims_are_refused_before_allocating(byte op, int width, ulong length)
    {
        var len = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(len, length);
        var p = new PickleBuilder().Proto(4).Op(op).Raw(len[..width]).Raw(1, 2, 3).Stop().ToArray();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Refused(p);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < (1 << 20), "allocated more than 1 MiB");
        Assert.True(e.Reason.Contains("limit", StringComparison.Ordinal) || e.Reason.Contains("remain", StringComparison.Ordinal), e.Reason);
    }

    [Fact]
    public void Truncated_and_malformed_pickles_are_refused()
    {
        var valid = TorchFiles.StateDictPickle([new("a.weight", TorchStorage.F32("0", 1, 2, 3, 4), [2, 2])]);
        for (int n = 0; n < valid.Length; n++)
        {
            Assert.Throws<ModelFormatException>(() => Load(valid[..n], pid => new TorchStorageRef("0", Tensors.DType.F32, 4, "0", 0)));
        }
        Refused(new PickleBuilder().Proto(9).Stop().ToArray(), "protocol 9");
        Refused(new PickleBuilder().Proto(2).Op(0xFF).Stop().ToArray(), "unknown pickle opcode");
        Refused(new PickleBuilder().Proto(2).Op('h').Raw(7).Stop().ToArray(), "memo entry 7");
        Refused(new PickleBuilder().Proto(2).Op('a').Stop().ToArray(), "empty stack");
        Refused(new PickleBuilder().Proto(2).Op('e').Stop().ToArray(), "MARK");
        Refused(new PickleBuilder().Proto(2).Op('Q').Stop().ToArray(), "empty stack");
        Refused(new PickleBuilder().Proto(2).None().Op('Q').Stop().ToArray(), "persistent id");
        Refused(new PickleBuilder().Proto(2).Op('I').Raw(new byte[5000]).Stop().ToArray(), "longer than");
        Refused(new PickleBuilder().Proto(2).EmptyDict().None().Op('a').Stop().ToArray(), "not a list");
    }
}
