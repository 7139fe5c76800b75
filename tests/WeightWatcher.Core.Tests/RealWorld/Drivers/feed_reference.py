#!/usr/bin/env python3
"""Feeds the real files to the reference tool (WeightWatcher 0.7.5.5) and writes its per-layer CSVs.

This script only loads weights and hands them over; the reference tool itself is not part of this
repository (see ../README.md for where it ran and with which libraries). Run with Debian's python3:

  OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=2 PYTHONPATH=<reference>:<gguf-py> \
      python3 feed_reference.py <out folder> <job> ...     (no job: every job)

Environment: WW_SHARED (the shared folder, default ../../../../../shared), WW_ONNX_DIR (the demo-zoo
models folder of `ww zoo run`), WW_NSFWJS_DIR (output of unpack_nsfwjs.js).

Routes, exactly as a user of the reference would take them:
- state dicts: an in-memory ordered dict name -> tensor, analyze() with default options. Float32 data is
  given as float32 torch tensors; float64 numpy data (scipy's .npz/.npy) as the float64 numpy arrays
  np.load returns (a torch tensor would be cast to float32 by the reference). A file whose keys do not
  end in '.weight' gets '.weight' appended to every key (the reference's own rule for such files
  needs it), so its rows are named by the original keys.
- ONNX: onnx.load(path) handed to WeightWatcher(model=...), the reference's ONNX route.
- GGUF: every tensor read and dequantized to float32 by gguf-py's GGUFReader/dequantize, row-major
  (numpy) shape, as float32 torch tensors.
- TF.js layers models (Keras kernels, kernel-first): the reference's Keras route needs TensorFlow, which
  is not available, so, as for the shared Keras files, each layer's kernel ('kernel' or
  'depthwise_kernel') is dequantized as TF.js does (float32(q * scale + min)) and converted to
  PyTorch layout: Dense (in, out) -> (out, in); Conv2D (kh, kw, in, out) -> (out, in, kh, kw);
  DepthwiseConv2D (kh, kw, in, mult) -> (in, mult, kh, kw); keyed '<manifest weight name>.weight'.
  <job>.tensors.csv lists each kernel with its original and passed shapes.
- TF.js graph models: every manifest weight but 0-d ones, dequantized, in its stored shape and manifest
  order, keyed '<name>.weight' (no manifest name ends in '.weight').
"""
import collections
import csv
import json
import os
import struct
import sys
import types

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, '..', 'Data')
SHARED = os.environ.get('WW_SHARED', os.path.join(HERE, '..', '..', '..', '..', '..', 'shared'))
ONNX_DIR = os.environ.get('WW_ONNX_DIR', os.path.expanduser('~/.cache/weightwatcher/demo-zoo/models'))
NSFWJS_DIR = os.environ.get('WW_NSFWJS_DIR', '/tmp/nsfw-unpacked')
ST_DTYPES = {'F64': np.float64, 'F32': np.float32, 'F16': np.float16, 'I64': np.int64, 'I32': np.int32}


def read_safetensors(path):
    """Header order, as the file lists the tensors."""
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n), object_pairs_hook=collections.OrderedDict)
        data = f.read()
    out = collections.OrderedDict()
    for key, v in header.items():
        if key == '__metadata__':
            continue
        s, e = v['data_offsets']
        out[key] = torch.from_numpy(np.frombuffer(data[s:e], dtype=ST_DTYPES[v['dtype']]).reshape(v['shape']).copy())
    return out


def read_torch(path):
    obj = torch.load(path, map_location='cpu')
    return obj['state_dict'] if 'state_dict' in obj else obj


def with_weight_suffix(arrays):
    if any(k.endswith('.weight') for k in arrays):
        return arrays
    return collections.OrderedDict((k + '.weight', v) for k, v in arrays.items())


def read_numpy(path):
    if path.endswith('.npy'):
        return with_weight_suffix({os.path.splitext(os.path.basename(path))[0]: np.load(path)})
    with np.load(path) as z:
        return with_weight_suffix(collections.OrderedDict((k, z[k]) for k in z.files))


def read_gguf(path):
    sys.modules.setdefault('sentencepiece', types.SimpleNamespace(SentencePieceProcessor=object))
    import gguf
    reader = gguf.GGUFReader(path)
    out = collections.OrderedDict()
    for t in reader.tensors:
        values = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
        out[t.name] = torch.from_numpy(values.reshape([int(d) for d in reversed(t.shape)]).copy())
    return out


def tfjs_weights(folder):
    """Manifest name -> (float32 array in stored shape, entry), dequantized as TF.js does."""
    model = json.load(open(os.path.join(folder, 'model.json')))
    out = collections.OrderedDict()
    for group in model['weightsManifest']:
        data = b''.join(open(os.path.join(folder, p), 'rb').read() for p in group['paths'])
        offset = 0
        for w in group['weights']:
            count = int(np.prod(w['shape'])) if w['shape'] else 1
            q = w.get('quantization')
            if q:
                stored = np.frombuffer(data, dtype={'uint8': np.uint8, 'uint16': np.uint16}[q['dtype']], count=count, offset=offset)
                offset += stored.nbytes
                values = (stored.astype(np.float64) * q['scale'] + q['min']).astype(np.float32)
            else:
                values = np.frombuffer(data, dtype={'float32': np.float32}[w['dtype']], count=count, offset=offset)
                offset += values.nbytes
            out[w['name']] = (values.reshape(w['shape']), w)
    return model, out


def keras_layers(topology):
    config = topology.get('model_config', topology)
    layers = config['config']['layers'] if isinstance(config['config'], dict) else config['config']
    return [(l['config']['name'], l['class_name']) for l in layers]


KERNEL_TRANSFORMS = {2: ((1, 0), '(out,in)'), 4: ((3, 2, 0, 1), '(out,in,kh,kw)')}


def read_tfjs_layers(folder, job, out_dir):
    model, weights = tfjs_weights(folder)
    rows, state = [], collections.OrderedDict()
    for layer, cls in keras_layers(model['modelTopology']):
        for name, (values, _) in weights.items():
            parts = name.split('/')
            if layer not in parts[:-1] or parts[-1] not in ('kernel', 'depthwise_kernel'):
                continue
            if cls == 'DepthwiseConv2D':
                axes, layout = (2, 3, 0, 1), '(in,mult,kh,kw)'
            else:
                axes, layout = KERNEL_TRANSFORMS[values.ndim]
            passed = np.ascontiguousarray(values.transpose(axes))
            state[name + '.weight'] = torch.from_numpy(passed)
            rows.append([len(state), name, layer, cls, fmt(values.shape), f'transpose{axes}'.replace(' ', ''), layout, fmt(passed.shape)])
    with open(os.path.join(out_dir, job + '.tensors.csv'), 'w', newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(['state_dict_index', 'name', 'keras_layer', 'keras_class', 'original_shape', 'transform', 'layout_passed', 'shape_passed'])
        w.writerows(rows)
    return state


def read_tfjs_graph(folder):
    # 0-d weights (scalar constants) are left out: the reference's state-dict typing takes len() of every
    # tensor and fails on a 0-d one. No row is lost: a scalar is never analysed.
    _, weights = tfjs_weights(folder)
    return collections.OrderedDict((k + '.weight', torch.from_numpy(v.copy())) for k, (v, _) in weights.items() if v.ndim > 0)


def fmt(shape):
    return '(' + ','.join(str(int(d)) for d in shape) + ')'


def zoo(name):
    return os.path.join(SHARED, 'zoo', 'cifar10-resnet', name)


def onnx_model(name):
    import onnx
    return onnx.load(os.path.join(ONNX_DIR, name))


JOBS = {
    'burn-complex_nested.safetensors': lambda out: read_safetensors(os.path.join(DATA, 'burn-complex_nested.safetensors')),
    'burn-multi_layer.safetensors': lambda out: read_safetensors(os.path.join(DATA, 'burn-multi_layer.safetensors')),
    'burn-complex_nested.pt': lambda out: read_torch(os.path.join(DATA, 'burn-complex_nested.pt')),
    'resnet20-12fca82f.th': lambda out: read_torch(zoo('resnet20-12fca82f.th')),
    'resnet32-d509ac18.th': lambda out: read_torch(zoo('resnet32-d509ac18.th')),
    'resnet44-014dd654.th': lambda out: read_torch(zoo('resnet44-014dd654.th')),
    'resnet56-4bfd9763.th': lambda out: read_torch(zoo('resnet56-4bfd9763.th')),
    'resnet20-statedict.pt': lambda out: read_torch(zoo('resnet20-statedict.pt')),
    'resnet20.safetensors': lambda out: read_safetensors(zoo('resnet20.safetensors')),
    'resnet18.onnx': lambda out: onnx_model('resnet18.onnx'),
    'all-minilm-l6-v2.onnx': lambda out: onnx_model('all-minilm-l6-v2.onnx'),
    'snowflake-arctic-embed-xs.onnx': lambda out: onnx_model('snowflake-arctic-embed-xs.onnx'),
    'minilm-l6-layer0.gguf': lambda out: read_gguf(os.path.join(DATA, 'minilm-l6-layer0.gguf')),
    'carex_15_data.npz': lambda out: read_numpy(os.path.join(DATA, 'carex_15_data.npz')),
    'stable-Z1-pdf-sample-data.npy': lambda out: read_numpy(os.path.join(DATA, 'stable-Z1-pdf-sample-data.npy')),  # no row at min_evals=10 (M = 5)
    'nsfwjs-mobilenet_v2': lambda out: read_tfjs_layers(os.path.join(NSFWJS_DIR, 'mobilenet_v2'), 'nsfwjs-mobilenet_v2', out),
    'nsfwjs-inception_v3': lambda out: read_tfjs_layers(os.path.join(NSFWJS_DIR, 'inception_v3'), 'nsfwjs-inception_v3', out),
    'nsfwjs-mobilenet_v2_mid': lambda out: read_tfjs_graph(os.path.join(NSFWJS_DIR, 'mobilenet_v2_mid')),
}
# Extra runs with non-default options: job -> (file job, options)
VARIANTS = {
    'stable-Z1-pdf-sample-data.min_evals_1': ('stable-Z1-pdf-sample-data.npy', {'min_evals': 1}),
}


def run(job, out_dir):
    import pandas as pd
    import weightwatcher as ww
    source, options = VARIANTS.get(job, (job, {}))
    model = JOBS[source](out_dir)
    details = ww.WeightWatcher(model=model).analyze(**options)
    path = os.path.join(out_dir, job + '.reference.csv')
    details.to_csv(path, index=False)
    print(f'{job}: {len(details)} rows -> {path}', flush=True)


if __name__ == '__main__':
    out_dir, jobs = sys.argv[1], sys.argv[2:] or [j for j in JOBS if j not in (v[0] for v in VARIANTS.values())] + list(VARIANTS)
    for job in jobs:
        run(job, out_dir)
