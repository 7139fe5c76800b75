using System.Buffers.Binary;

namespace WeightWatcher.Core.Formats;

/// <summary>
/// Opens a model by looking at its content (magic bytes and structure), not its extension.
/// A directory is a model when it holds a sharded safetensors index or exactly one weight file.
/// </summary>
public static class ModelOpener
{
    /// <summary>Detects the format of <paramref name="path"/> and opens it.</summary>
    /// <exception cref="ModelFormatException">The path does not exist or holds no recognised model.</exception>
    public static IModelReader Open(string path)
    {
        if (Directory.Exists(path))
        {
            return OpenDirectory(path);
        }
        if (!File.Exists(path))
        {
            throw new ModelFormatException(path, null, "no such file or directory");
        }
        return Detect(path) switch
        {
            ModelFileKind.Safetensors => SafetensorsReader.OpenFile(path),
            ModelFileKind.Npy => NumpyReader.OpenNpy(path),
            ModelFileKind.Zip => OpenZip(path),
            ModelFileKind.Gguf => Gguf.GgufReader.Open(path),
            ModelFileKind.TfJs => TfJs.TfJsReader.Open(path),
            ModelFileKind.PyTorchLegacy => PyTorch.PyTorchReader.OpenLegacy(path),
            ModelFileKind.Onnx => Onnx.OnnxReader.Open(path),
            ModelFileKind.Hdf5 => Keras.KerasH5Reader.Open(path),
            _ => throw new ModelFormatException(path, null, "unrecognised model format (expected safetensors, PyTorch, ONNX, Keras H5, GGUF, TF.js model.json, .npy or .npz content)"),
        };
    }

    /// <summary>Classifies a file by its first bytes.</summary>
    public static ModelFileKind Detect(string file)
    {
        Span<byte> head = stackalloc byte[16];
        int n = ModelPaths.ReadHead(file, head);
        if (n >= 6 && head[0] == 0x93 && head[1] == (byte)'N' && head[2] == (byte)'U' && head[3] == (byte)'M' && head[4] == (byte)'P' && head[5] == (byte)'Y')
        {
            return ModelFileKind.Npy;
        }
        if (n >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4)
        {
            return ModelFileKind.Zip;
        }
        if (n >= 4 && head[0] == (byte)'G' && head[1] == (byte)'G' && head[2] == (byte)'U' && head[3] == (byte)'F')
        {
            return ModelFileKind.Gguf;
        }
        if (Keras.Hdf5Guard.HasSignature(head[..n]))
        {
            return ModelFileKind.Hdf5;
        }
        if (TfJs.TfJsReader.LooksLikeModelJson(file))
        {
            return ModelFileKind.TfJs;
        }
        if (n >= 9 && head[8] == (byte)'{' && BinaryPrimitives.ReadUInt64LittleEndian(head) > 1)
        {
            return ModelFileKind.Safetensors;
        }
        if (PyTorch.PyTorchReader.HasLegacyMagic(head[..n]))
        {
            return ModelFileKind.PyTorchLegacy;
        }
        // ONNX has no magic number: checked last, by parsing the first fields as a ModelProto.
        if (n >= 2 && Onnx.OnnxDetector.LooksLikeOnnx(file))
        {
            return ModelFileKind.Onnx;
        }
        return ModelFileKind.Unknown;
    }

    /// <summary>
    /// Zip containers are told apart by their entries: numpy archives hold <c>*.npy</c> entries (other zip
    /// formats add their test of entries here, before the numpy fallback).
    /// </summary>
    private static IModelReader OpenZip(string path)
    {
        if (PyTorch.PyTorchReader.IsPyTorchZip(path))
        {
            return PyTorch.PyTorchReader.OpenZip(path);
        }
        if (Keras.KerasArchive.IsKerasArchive(path))
        {
            return Keras.KerasArchive.Open(path);
        }
        return NumpyReader.OpenNpz(path);
    }

    private static IModelReader OpenDirectory(string dir)
    {
        if (File.Exists(Path.Combine(dir, SafetensorsReader.IndexFileName)))
        {
            return SafetensorsReader.OpenIndex(dir);
        }
        if (TfJs.TfJsReader.LooksLikeModelJson(Path.Combine(dir, TfJs.TfJsReader.ModelJsonFileName)))
        {
            return TfJs.TfJsReader.Open(dir);
        }
        if (File.Exists(Path.Combine(dir, PyTorch.PyTorchShardedLoader.IndexFileName)))
        {
            return PyTorch.PyTorchReader.OpenIndex(dir);
        }
        var candidates = Directory.EnumerateFiles(dir)
            .Where(f => Detect(f) != ModelFileKind.Unknown)
            .OrderBy(f => f, StringComparer.Ordinal)
            .ToList();
        return candidates.Count switch
        {
            1 => Open(candidates[0]),
            0 => throw new ModelFormatException(dir, null, "directory holds no recognised model file"),
            _ => throw new ModelFormatException(dir, null, $"directory holds {candidates.Count} model files and no index; name one file"),
        };
    }
}

/// <summary>What the first bytes of a file say it is.</summary>
public enum ModelFileKind
{
    /// <summary>Not recognised.</summary>
    Unknown,
    /// <summary>safetensors: 8-byte header length then a JSON object.</summary>
    Safetensors,
    /// <summary>numpy .npy array.</summary>
    Npy,
    /// <summary>zip archive (numpy .npz).</summary>
    Zip,
    /// <summary>GGUF (llama.cpp): magic "GGUF".</summary>
    Gguf,
    /// <summary>TF.js <c>model.json</c> with a <c>weightsManifest</c>.</summary>
    TfJs,
    /// <summary>legacy (pre-1.6, non-zip) PyTorch file: pickle PROTO 2-5, then the legacy magic number.</summary>
    PyTorchLegacy,
    /// <summary>ONNX model (protobuf ModelProto).</summary>
    Onnx,
    /// <summary>HDF5 (Keras <c>.h5</c> / <c>.weights.h5</c>): signature 0x89 "HDF" \r\n 0x1a \n at offset 0.</summary>
    Hdf5,
}
