using System.Buffers.Binary;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Tensors;
using WeightWatcher.Core.Tests.Support;
using static WeightWatcher.Core.Tests.Formats.ModelFiles;

namespace WeightWatcher.Core.Tests.Formats;

/// <summary>
/// numpy files that are valid: .npy and .npz written by <see cref="NumpyWriter"/> read back exactly
/// (float32 widened to double without rounding), in archive order; Fortran-ordered arrays come back in C order.
/// </summary>
public sealed class NumpyRoundTripTests : IDisposable
{
    private static readonly float[] Awkward =
    [
        0.1f, -0f, float.Epsilon, -float.Epsilon, float.MaxValue, float.MinValue, 1e-30f, 3.14159274f,
        BitConverter.Int32BitsToSingle(0x007FFFFF), 16777217f, -2.5e-7f, 1f,
    ];

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static void AssertExact(float[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            // Bitwise: -0 stays -0, subnormals stay exact.
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected[i]), BitConverter.DoubleToInt64Bits(actual[i]));
        }
    }

    [Fact]
    public void Npy_round_trip_is_exact()
    {
        string path = _dir.File("layer.npy");
        using (var fs = File.Create(path))
        {
            NumpyWriter.WriteNpy(fs, new NamedTensor("ignored", [3, 4], Awkward));
        }
        using var reader = ModelOpener.Open(path);
        Assert.Equal("npy", reader.FormatName);
        var t = Assert.Single(reader.Tensors);
        Assert.Equal("layer", t.Name);
        Assert.Equal(DType.F32, t.DType);
        Assert.Equal([3L, 4L], t.Shape);
        AssertExact(Awkward, reader.ReadTensor(t));
    }

    [Fact]
    public void One_dimensional_npy_round_trip_is_exact()
    {
        string path = _dir.File("vec.npy");
        using (var fs = File.Create(path))
        {
            NumpyWriter.WriteNpy(fs, new NamedTensor("vec", [5], [1f, 2f, 3f, 4f, 5f]));
        }
        using var reader = ModelOpener.Open(path);
        Assert.Equal([5L], reader.Tensors[0].Shape);
        AssertExact([1f, 2f, 3f, 4f, 5f], reader.ReadTensor(reader.Tensors[0]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Npz_round_trip_is_exact_and_keeps_archive_order(bool compress)
    {
        string path = _dir.File(compress ? "c.npz" : "u.npz");
        var z = Values(600, 1);
        var m = Values(7, 2);
        NumpyWriter.WriteNpz(path, [new("z.weight", [20, 30], z), new("a.weight", [3, 4], Awkward), new("m.bias", [7], m)], compress);
        using var reader = ModelOpener.Open(path);
        Assert.Equal("npz", reader.FormatName);
        Assert.Equal(["z.weight", "a.weight", "m.bias"], reader.Tensors.Select(t => t.Name));
        AssertExact(z, reader.ReadTensor(reader.Tensors[0]));
        AssertExact(Awkward, reader.ReadTensor(reader.Tensors[1]));
        AssertExact(m, reader.ReadTensor(reader.Tensors[2]));
    }

    [Fact]
    public void Compressed_npz_is_really_compressed_and_reads_the_same_values()
    {
        var zeros = new float[4096];
        string plain = _dir.File("plain.npz");
        string packed = _dir.File("packed.npz");
        NumpyWriter.WriteNpz(plain, [new("w", [64, 64], zeros)], compress: false);
        NumpyWriter.WriteNpz(packed, [new("w", [64, 64], zeros)], compress: true);
        Assert.True(new FileInfo(packed).Length < new FileInfo(plain).Length / 4);
        using var a = ModelOpener.Open(plain);
        using var b = ModelOpener.Open(packed);
        Assert.Equal(a.ReadTensor(a.Tensors[0]), b.ReadTensor(b.Tensors[0]));
    }

    [Fact]
    public void Fortran_ordered_npy_reads_back_in_c_order()
    {
        // C-order matrix [[0,1,2],[3,4,5]] stored column-major: 0,3,1,4,2,5.
        string path = _dir.File("fortran.npy");
        File.WriteAllBytes(path, Npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", F32(0, 3, 1, 4, 2, 5)));
        using var reader = ModelOpener.Open(path);
        Assert.Equal([2L, 3L], reader.Tensors[0].Shape);
        Assert.Equal([0.0, 1, 2, 3, 4, 5], reader.ReadTensor(reader.Tensors[0]));
    }

    [Fact]
    public void Fortran_ordered_3d_npy_reads_back_in_c_order()
    {
        const int a = 2, b = 3, c = 4;
        // Element (i,j,k) has value i*100 + j*10 + k; Fortran order varies i fastest.
        var fortran = new double[a * b * c];
        var expected = new double[a * b * c];
        for (int i = 0; i < a; i++)
        {
            for (int j = 0; j < b; j++)
            {
                for (int k = 0; k < c; k++)
                {
                    double v = (i * 100) + (j * 10) + k;
                    fortran[i + (a * j) + (a * b * k)] = v;
                    expected[(i * b * c) + (j * c) + k] = v;
                }
            }
        }
        var data = new byte[fortran.Length * 8];
        for (int n = 0; n < fortran.Length; n++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(n * 8), fortran[n]);
        }
        string path = _dir.File("f3.npy");
        File.WriteAllBytes(path, Npy("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3, 4), }", data));
        using var reader = ModelOpener.Open(path);
        Assert.Equal(expected, reader.ReadTensor(reader.Tensors[0]));
    }

    [Fact]
    public void Fortran_ordered_npz_entry_reads_back_in_c_order()
    {
        string path = _dir.File("f.npz");
        using (var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Create))
        {
            using var s = zip.CreateEntry("w.npy").Open();
            s.Write(Npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", F32(0, 3, 1, 4, 2, 5)));
        }
        using var reader = ModelOpener.Open(path);
        Assert.Equal([0.0, 1, 2, 3, 4, 5], reader.ReadTensor(reader.Tensors[0]));
    }

    [Theory]
    [InlineData("{'descr': '|u1', 'fortran_order': False, 'shape': (4,), }", new byte[] { 0, 1, 254, 255 }, new[] { 0.0, 1, 254, 255 })]
    [InlineData("{'descr': '|i1', 'fortran_order': False, 'shape': (4,), }", new byte[] { 0, 1, 254, 255 }, new[] { 0.0, 1, -2, -1 })]
    [InlineData("{\"descr\": \"<i2\", \"fortran_order\": False, \"shape\": (2,)}", new byte[] { 1, 0, 0xFE, 0xFF }, new[] { 1.0, -2 })]
    [InlineData("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", new byte[] { 0x00, 0x3C, 0x00, 0xC0 }, new[] { 1.0, -2 })]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", new byte[] { 0, 0, 0x80, 0x3F }, new[] { 1.0 })]
    public void Other_little_endian_dtypes_read_correctly(string dict, byte[] data, double[] expected)
    {
        string path = _dir.File("d.npy");
        File.WriteAllBytes(path, Npy(dict, data));
        using var reader = ModelOpener.Open(path);
        Assert.Equal(expected, reader.ReadTensor(reader.Tensors[0]));
    }

    [Fact]
    public void Version_2_header_reads_correctly()
    {
        string path = _dir.File("v2.npy");
        File.WriteAllBytes(path, Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", F32(1.5f, -2.5f), major: 2));
        using var reader = ModelOpener.Open(path);
        Assert.Equal([1.5, -2.5], reader.ReadTensor(reader.Tensors[0]));
    }
}
