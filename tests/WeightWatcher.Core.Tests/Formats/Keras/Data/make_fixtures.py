# Writes the h5py (HDF5 C library) fixtures of the Keras HDF5 tests: superblock 0, version 1 object
# headers, symbol-table groups with local heaps, variable-length strings in the global heap, as Keras
# writes them with h5py's defaults. Run with h5py 3.7 / HDF5 1.10 (Debian 12: python3-h5py):
#   python3 make_fixtures.py
import json
import h5py
import numpy as np

rng = np.random.default_rng(20261130)
config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 8, 8, 2], "name": "input_1"}},
    {"class_name": "Conv2D", "config": {"name": "conv2d"}},
    {"class_name": "Flatten", "config": {"name": "flatten"}},
    {"class_name": "Dense", "config": {"name": "dense"}}]}}

# Keras 2 model.save: model_config as UTF-8 bytes (fixed length), versions as str (variable length).
with h5py.File("keras2_h5py.h5", "w") as f:
    mw = f.create_group("model_weights")
    mw.attrs["keras_version"] = "2.13.1"
    mw.attrs["backend"] = "tensorflow"
    mw.attrs["layer_names"] = np.array([b"conv2d", b"flatten", b"dense"])
    g = mw.create_group("conv2d")
    g.attrs["weight_names"] = np.array([b"conv2d/kernel:0", b"conv2d/bias:0"])
    s = g.create_group("conv2d")
    s.create_dataset("kernel:0", data=rng.standard_normal((3, 3, 2, 12)).astype("float32"))
    s.create_dataset("bias:0", data=rng.standard_normal((12,)).astype("float32"))
    mw.create_group("flatten").attrs["weight_names"] = np.array([], dtype="S1")
    g = mw.create_group("dense")
    g.attrs["weight_names"] = np.array([b"dense/kernel:0", b"dense/bias:0"])
    s = g.create_group("dense")
    s.create_dataset("kernel:0", data=rng.standard_normal((24, 12)).astype("float16"))
    s.create_dataset("bias:0", data=rng.standard_normal((12,)).astype("float32"))
    f.create_group("optimizer_weights").create_group("Adam").create_dataset("iter:0", data=np.int64(7))
    # Attributes added after the groups overflow the root's first header chunk into a continuation block.
    f.attrs["keras_version"] = "2.13.1"
    f.attrs["backend"] = "tensorflow"
    f.attrs["model_config"] = json.dumps(config).encode("utf8")

# Keras 3 model.save_weights("x.weights.h5"): groups named after the class, weights under vars/.
with h5py.File("keras3_h5py.weights.h5", "w") as f:
    layers = f.create_group("layers")
    for name, shapes in [("conv2d", [(3, 3, 2, 12), (12,)]), ("dense", [(24, 12), (12,)]), ("flatten", [])]:
        v = layers.create_group(name).create_group("vars")
        for i, shape in enumerate(shapes):
            v.create_dataset(str(i), data=rng.standard_normal(shape).astype("float32"))
    f.create_group("vars")

# h5py's newest format (libver="latest"): groups of many links and objects of many attributes keep them
# in dense storage (a fractal heap indexed by a version 2 B-tree); an attribute over 64 KB is a huge
# heap object.
with h5py.File("keras3_h5py_latest.weights.h5", "w", libver="latest") as f:
    f.attrs["notes"] = "x" * 66000
    for i in range(10):
        f.attrs["extra_%d" % i] = "value %d" % i
    layers = f.create_group("layers")
    for i in range(12):
        g = layers.create_group("dense_%d" % i)
        for k in range(10):
            g.attrs["a%d" % k] = np.arange(k + 1)
        g.create_group("vars").create_dataset("0", data=rng.standard_normal((4, 3)).astype("float32"))
    f.create_group("vars")

# Every attribute encoding Keras 2 writes through h5py, in one file: layer_names and weight_names as
# variable-length str arrays (keras 2.13+; the others above are fixed-length bytes, as keras 2.4 writes),
# the empty weight_names of a weightless layer as h5py stores an empty Python list (float64, shape (0,)),
# and a null dataspace (h5py.Empty) as some writers store it. A 1x1 Conv2D and a DepthwiseConv2D kernel.
str_dt = h5py.string_dtype()
config = {"class_name": "Functional", "config": {"name": "model", "layers": [
    {"class_name": "InputLayer", "config": {"name": "input_1"}},
    {"class_name": "Conv2D", "config": {"name": "pointwise"}},
    {"class_name": "ReLU", "config": {"name": "re_lu"}},
    {"class_name": "DepthwiseConv2D", "config": {"name": "depthwise"}},
    {"class_name": "Dense", "config": {"name": "dense"}}]}}
with h5py.File("keras2_h5py_encodings.h5", "w") as f:
    mw = f.create_group("model_weights")
    mw.attrs["layer_names"] = np.array(["input_1", "pointwise", "re_lu", "depthwise", "dense"], dtype=str_dt)
    mw.create_group("input_1").attrs["weight_names"] = np.array([])
    mw.create_group("re_lu").attrs["weight_names"] = h5py.Empty("f8")
    for name, weight, shape in [("pointwise", "kernel:0", (1, 1, 8, 24)), ("depthwise", "depthwise_kernel:0", (3, 3, 24, 1)), ("dense", "kernel:0", (24, 10))]:
        g = mw.create_group(name)
        g.attrs["weight_names"] = np.array([name + "/" + weight], dtype=str_dt)
        g.create_group(name).create_dataset(weight, data=rng.standard_normal(shape).astype("float32"))
    f.attrs["keras_version"] = "2.14.0"
    f.attrs["model_config"] = json.dumps(config)
