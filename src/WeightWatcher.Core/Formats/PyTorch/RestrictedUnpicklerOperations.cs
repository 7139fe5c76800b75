namespace WeightWatcher.Core.Formats.PyTorch;

/// <summary>The stack machine of <see cref="RestrictedUnpickler"/>: stack, marks, memo and the opcodes that build values.</summary>
public sealed partial class RestrictedUnpickler
{
    private void Proto()
    {
        int proto = ReadByte();
        if (proto > 5)
        {
            throw Fail($"unsupported pickle protocol {proto}");
        }
    }

    private object? Result()
    {
        if (_stack.Count == 0)
        {
            throw Fail("pickle STOP with an empty stack");
        }
        return _stack[^1];
    }

    private void PushMark()
    {
        if (_marks.Count >= PickleLimits.MaxMarks)
        {
            throw Fail($"more than {PickleLimits.MaxMarks} open marks");
        }
        _marks.Push(_stack.Count);
    }

    private void TupleOfTop(int count)
    {
        var items = new object?[count];
        for (int i = count - 1; i >= 0; i--)
        {
            items[i] = Pop();
        }
        Push(NewTuple(items));
    }

    private void DictOfMark()
    {
        var dict = new PickleDict();
        SetItems(dict, PopMark());
        Push(dict);
    }

    private void Append()
    {
        var value = Pop();
        AddItems(Peek(), [value]);
    }

    private void Appends()
    {
        var items = PopMark();
        AddItems(Peek(), items);
    }

    private void SetItem()
    {
        var value = Pop();
        var key = Pop();
        SetItems(Peek(), [key, value]);
    }

    private void SetItemsOfMark()
    {
        var items = PopMark();
        SetItems(Peek(), items);
    }

    private PickleGlobal GlobalOfLines()
    {
        string module = ReadLine();
        string name = ReadLine();
        return TorchGlobals.Resolve(_file, module, name);
    }

    private void Inst()
    {
        var cls = GlobalOfLines();
        Push(TorchGlobals.Call(_file, cls, PopMark()));
    }

    private void Obj()
    {
        var items = PopMark();
        if (items.Length == 0)
        {
            throw Fail("pickle OBJ without a class");
        }
        Push(TorchGlobals.Call(_file, AsGlobal(items[0], "OBJ"), items[1..]));
    }

    private void Reduce()
    {
        var args = Pop();
        var callable = Pop();
        Push(TorchGlobals.Call(_file, AsGlobal(callable, "REDUCE"), AsArgs(args, "REDUCE")));
    }

    private void NewObj()
    {
        var args = Pop();
        var cls = Pop();
        Push(TorchGlobals.Call(_file, AsGlobal(cls, "NEWOBJ"), AsArgs(args, "NEWOBJ")));
    }

    private void NewObjEx()
    {
        Pop(); // keyword arguments: none of the whitelisted classes takes any
        var args = Pop();
        var cls = Pop();
        Push(TorchGlobals.Call(_file, AsGlobal(cls, "NEWOBJ_EX"), AsArgs(args, "NEWOBJ_EX")));
    }

    private void Push(object? value)
    {
        if (_stack.Count >= PickleLimits.MaxStack)
        {
            throw Fail($"pickle stack grows beyond {PickleLimits.MaxStack} items");
        }
        _stack.Add(value);
    }

    private object? Pop()
    {
        int floor = _marks.Count > 0 ? _marks.Peek() : 0;
        if (_stack.Count <= floor)
        {
            throw Fail("pickle pops from an empty stack");
        }
        var v = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    private object? Peek()
    {
        int floor = _marks.Count > 0 ? _marks.Peek() : 0;
        return _stack.Count > floor ? _stack[^1] : throw Fail("pickle reads from an empty stack");
    }

    private object?[] PopMark()
    {
        if (_marks.Count == 0)
        {
            throw Fail("pickle uses a MARK that was never set");
        }
        int mark = _marks.Pop();
        var items = _stack.GetRange(mark, _stack.Count - mark).ToArray();
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    /// <summary>Stores a memo entry: dense indices (the usual 0, 1, 2 ...) in a list, others in a dictionary.</summary>
    private void Memo(long index, object? value)
    {
        if (index < 0)
        {
            throw Fail("pickle memo index is negative");
        }
        if (index < _memo.Count)
        {
            _memo[(int)index] = value;
            return;
        }
        if (_memo.Count + _sparseMemo.Count >= PickleLimits.MaxMemo && !_sparseMemo.ContainsKey(index))
        {
            throw Fail($"pickle memo grows beyond {PickleLimits.MaxMemo} entries");
        }
        if (index == _memo.Count && _sparseMemo.Count == 0)
        {
            _memo.Add(value);
            return;
        }
        _sparseMemo[index] = value;
    }

    private object? Recall(long index)
    {
        if (index >= 0 && index < _memo.Count)
        {
            return _memo[(int)index];
        }
        return _sparseMemo.TryGetValue(index, out var v) ? v : throw Fail($"pickle refers to memo entry {index}, which was never stored");
    }

    private T Checked<T>(T container)
        where T : PickleContainer
    {
        if (container.Depth > PickleLimits.MaxDepth)
        {
            throw Fail($"pickle nests containers deeper than {PickleLimits.MaxDepth} levels");
        }
        return container;
    }

    private PickleList NewList(object?[] items)
    {
        var list = new PickleList();
        AddItems(list, items);
        return list;
    }

    private PickleTuple NewTuple(object?[] items) => Checked(new PickleTuple(items));

    private void AddItems(object? target, object?[] items)
    {
        if (target is not PickleList list)
        {
            throw Fail($"pickle appends to a {Describe(target)}, not a list");
        }
        if (list.Items.Count + items.Length > PickleLimits.MaxContainerItems)
        {
            throw Fail($"pickle list grows beyond {PickleLimits.MaxContainerItems} items");
        }
        foreach (var item in items)
        {
            list.Items.Add(item);
            list.Include(item);
        }
        Checked(list);
    }

    private void SetItems(object? target, object?[] items)
    {
        if (target is not PickleDict dict)
        {
            throw Fail($"pickle sets items of a {Describe(target)}, not a dict");
        }
        if (items.Length % 2 != 0)
        {
            throw Fail("pickle SETITEMS has an odd number of items");
        }
        if (dict.Entries.Count + (items.Length / 2) > PickleLimits.MaxContainerItems)
        {
            throw Fail($"pickle dict grows beyond {PickleLimits.MaxContainerItems} items");
        }
        for (int i = 0; i < items.Length; i += 2)
        {
            dict.Set(items[i], items[i + 1]);
        }
        Checked(dict);
    }

    private void StackGlobal()
    {
        var name = Pop();
        var module = Pop();
        if (module is not string m || name is not string n)
        {
            throw Fail("pickle STACK_GLOBAL needs two strings (module and name)");
        }
        Push(TorchGlobals.Resolve(_file, m, n));
    }

    private PickleGlobal AsGlobal(object? value, string opcode) =>
        value as PickleGlobal ?? throw Fail($"pickle {opcode} applied to a {Describe(value)}, which cannot be called");

    private object?[] AsArgs(object? value, string opcode) =>
        value is PickleTuple t ? t.Items : throw Fail($"pickle {opcode} arguments are a {Describe(value)}, not a tuple");

    private void Build()
    {
        Pop(); // the state: attributes of an OrderedDict (_metadata) or a Parameter, not needed
        var target = Peek();
        if (target is not (PickleDict or TorchTensorRef))
        {
            throw Fail($"pickle BUILD on a {Describe(target)} is not allowed");
        }
    }

    private object? PersistentLoad(object? pid)
    {
        if (_persistentLoad is null)
        {
            throw Fail("pickle holds a persistent id, which this file may not contain");
        }
        return _persistentLoad(pid);
    }
}
