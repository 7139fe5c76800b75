using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Layers;

/// <summary>
/// A layer as a framework-aware reader declares it, for formats whose reference enumeration is not the
/// state-dict one (ONNX: one id per initializer; Keras: ids over model layers, typing by layer class,
/// kernel-first convolutions). <see cref="LayerEnumerator"/> computes N, M and rf from it and applies the
/// filters exactly as for state dicts; the state-dict rule that skips a first dimension below 2 does not
/// apply (a Keras 1x1 Conv2D kernel <c>(1, 1, in, out)</c> is analyzed).
/// </summary>
/// <param name="LayerId">The reference's id for this layer.</param>
/// <param name="Name">The reference's <c>name</c> column.</param>
/// <param name="LongName">The reference's <c>longname</c> column.</param>
/// <param name="Type">The type the reference gives the layer (Unknown when it would be skipped).</param>
/// <param name="Weight">The weight tensor, or null for a layer without weights.</param>
/// <param name="ExpectedLayout">The framework's Conv2D layout (Last for PyTorch/ONNX, First for Keras).</param>
/// <param name="ClassName">The framework's layer class (Keras, TF.js layers), for skip reasons; null when typed by rank.</param>
public sealed record LayerCandidate(int LayerId, string Name, string LongName, LayerType Type, TensorInfo? Weight, ConvLayout ExpectedLayout = ConvLayout.Last, string? ClassName = null);
