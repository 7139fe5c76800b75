#!/usr/bin/env python3
"""Writes Expected/<job>.layers.csv: each real file's layers as its own framework describes them.

Each file is opened with the framework's own tools, never with ww: the safetensors header (JSON, as the
safetensors library wrote it), torch.load, onnx.load (initializers and the graph nodes that consume them),
h5py (the Keras `model_config` attribute and `model_weights/`), gguf-py's GGUFReader, numpy's np.load, and
for TF.js the model.json itself (modelTopology layer classes, weightsManifest shapes). From that
description and the reference's documented rules (README of this folder) it states, per layer, whether
the reference analyses it and why not, and N, M, rf, num_evals for those it does.

Usage: python3 describe_frameworks.py <out folder> [job ...]   (same environment as feed_reference.py)
"""
import collections
import csv
import json
import os
import sys

import numpy as np

from feed_reference import DATA, JOBS, NSFWJS_DIR, ONNX_DIR, SHARED, ST_DTYPES, zoo

MIN_EVALS, MAX_EVALS, MAX_N = 10, 15000, 50000
COLUMNS = ['layer_id', 'name', 'framework_class', 'shape', 'dtype', 'type', 'N', 'M', 'rf', 'num_evals', 'expected', 'reason']


def state_dict_conv(a, b, c, d):
    """(out, in, kh, kw) expected. Shape test a+b >= c+d: normal slices, else the flip path."""
    rf = c * d
    if a + b >= c + d:
        n, m = a, b
        if a < b and rf % 2 == 1:  # every slice transposed: N and M swapped once per slice
            n, m = b, a
        return n, m, rf
    return a, b, rf  # detected kernel-first: W[:, :, i, j] slices, N and M as stored


def keras_conv(kh, kw, cin, cout):
    """(kh, kw, in, out) expected. Shape test kh+kw >= in+out means the flip path."""
    rf = kh * kw
    if kh + kw >= cin + cout:
        return cin, cout, rf  # W[i, j, :, :] slices, N = in, M = out as stored
    n, m = cout, cin
    if cout < cin and rf % 2 == 1:
        n, m = cin, cout
    return n, m, rf


def row(layer_id, name, cls, shape, dtype, kind, nmrf=None, reason=''):
    r = dict(layer_id=layer_id, name=name, framework_class=cls, shape='(' + ','.join(map(str, shape)) + ')' if shape is not None else '',
             dtype=dtype, type=kind, N='', M='', rf='', num_evals='', expected='skipped', reason=reason)
    if nmrf and not reason:
        n, m, rf = nmrf
        r.update(N=n, M=m, rf=rf, num_evals=min(n, m) * rf)
        if m * rf < MIN_EVALS:
            r['reason'] = f'M*rf = {m * rf} < min_evals {MIN_EVALS}'
        elif m * rf > MAX_EVALS:
            r['reason'] = f'M*rf = {m * rf} > max_evals {MAX_EVALS}'
        elif n > MAX_N:
            r['reason'] = f'N = {n} > max_N {MAX_N}'
        else:
            r['expected'] = 'analyzed'
    return r


def by_rank(layer_id, name, cls, shape, dtype, first_dim_rule=True):
    """The reference's state-dict (and ONNX) typing: rank 2 dense, rank 4 conv2d (out, in, kh, kw)."""
    if not np.issubdtype(np.dtype(dtype), np.floating):
        return row(layer_id, name, cls, shape, dtype, 'unknown', reason=f'{dtype} values: not a float weight')
    if len(shape) not in (2, 4):
        return row(layer_id, name, cls, shape, dtype, 'unknown', reason=f'rank {len(shape)}')
    if first_dim_rule and shape[0] < 2:
        return row(layer_id, name, cls, shape, dtype, 'unknown', reason='first dimension below 2 (state-dict rule)')
    if len(shape) == 2:
        return row(layer_id, name, cls, shape, dtype, 'dense', (max(shape), min(shape), 1))
    return row(layer_id, name, cls, shape, dtype, 'conv2d', state_dict_conv(*shape))


def state_dict(tensors):
    """tensors: ordered (key, shape, dtype, class). Ids from 1 over '.weight' keys (all keys if none)."""
    any_weight = any(k.endswith('.weight') for k, *_ in tensors)
    rows = []
    for key, shape, dtype, cls in tensors:
        if any_weight and not key.endswith('.weight'):
            continue
        name = key[:-len('.weight')] if any_weight else key
        rows.append(by_rank(len(rows) + 1, name, cls, list(shape), dtype))
    return rows


def describe_safetensors(path):
    import struct
    with open(path, 'rb') as f:
        header = json.loads(f.read(struct.unpack('<Q', f.read(8))[0]))
    keys = sorted(k for k in header if k != '__metadata__')  # the reference lists a file's keys sorted
    return state_dict([(k, header[k]['shape'], np.dtype(ST_DTYPES[header[k]['dtype']]).name, 'safetensors ' + header[k]['dtype']) for k in keys])


def describe_torch(path):
    import torch
    obj = torch.load(path, map_location='cpu')
    sd = obj['state_dict'] if 'state_dict' in obj else obj
    strip = all(k.startswith('module.') for k in sd)  # ww drops a DataParallel prefix on every key
    return state_dict([(k[len('module.'):] if strip else k, list(v.shape), str(v.dtype).replace('torch.', ''), 'torch.Tensor') for k, v in sd.items()])


def describe_numpy(path):
    if path.endswith('.npy'):
        a = np.load(path)
        return state_dict([(os.path.splitext(os.path.basename(path))[0], a.shape, a.dtype.name, 'numpy.ndarray')])
    with np.load(path) as z:
        return state_dict([(k, z[k].shape, z[k].dtype.name, 'numpy.ndarray') for k in z.files])


def describe_gguf(path):
    import types
    sys.modules.setdefault('sentencepiece', types.SimpleNamespace(SentencePieceProcessor=object))
    import gguf
    reader = gguf.GGUFReader(path)
    return state_dict([(t.name, [int(d) for d in reversed(t.shape)], 'float32', 'GGML ' + t.tensor_type.name) for t in reader.tensors])


def describe_onnx(path):
    import onnx
    model = onnx.load(path)
    consumers = collections.defaultdict(list)
    for node in model.graph.node:
        for k, name in enumerate(node.input):
            consumers[name].append(f'{node.op_type}[{k}]')
    rows = []
    for i, t in enumerate(model.graph.initializer):
        dtype = np.dtype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[t.data_type]).name  # onnx 1.12
        rows.append(by_rank(i, t.name, ' '.join(sorted(set(consumers[t.name]))) or 'unused', list(t.dims), dtype, first_dim_rule=False))
    return rows


def keras_type(cls):
    lower = cls.lower()
    for word, kind in (('dense', 'dense'), ('conv1d', 'conv1d'), ('conv2d', 'conv2d'), ('flatten', 'flattened'), ('embedding', 'embedding')):
        if word in lower:
            return kind
    return 'unknown'


def keras_rows(layers, first_weight):
    """layers: (name, class); first_weight(name) -> (shape, dtype) or None. Ids from 0 over the layers."""
    rows = []
    for i, (name, cls) in enumerate(layers):
        kind, weight = keras_type(cls), first_weight(name)
        if weight is None:
            rows.append(row(i, name, cls, None, '', kind, reason='no weights'))
            continue
        shape, dtype = weight
        if kind == 'dense' and len(shape) == 2:
            rows.append(row(i, name, cls, shape, dtype, 'dense', (max(shape), min(shape), 1)))
        elif kind == 'conv2d' and len(shape) == 4:
            rows.append(row(i, name, cls, shape, dtype, 'conv2d', keras_conv(*shape)))
        else:
            rows.append(row(i, name, cls, shape, dtype, kind if kind == 'unknown' else kind, reason=f'{cls}: not a Dense or Conv2D kernel'))
    return rows


def topology_layers(topology):
    config = topology.get('model_config', topology)
    inner = config['config']
    layers = inner['layers'] if isinstance(inner, dict) else inner
    return [(l['config']['name'], l['class_name']) for l in layers]


def describe_h5(path):
    import h5py
    with h5py.File(path, 'r') as f:
        config = f.attrs['model_config']
        config = json.loads(config.decode() if isinstance(config, bytes) else config)
        layers = topology_layers({'model_config': config})
        weights = f['model_weights']

        def first_weight(name):
            if name not in weights:
                return None
            names = weights[name].attrs.get('weight_names', [])
            if len(names) == 0:
                return None
            first = names[0].decode() if isinstance(names[0], bytes) else names[0]
            d = weights[name][first]
            return list(d.shape), d.dtype.name
        return keras_rows(layers, first_weight)


def describe_tfjs(folder):
    model = json.load(open(os.path.join(folder, 'model.json')))
    weights = [w for g in model['weightsManifest'] for w in g['weights']]
    if model.get('format') == 'graph-model':
        return state_dict([(w['name'], w['shape'], 'float32', 'graph weight (' + w.get('quantization', {}).get('dtype', w['dtype']) + ')') for w in weights])
    layers = topology_layers(model['modelTopology'])
    names = {n for n, _ in layers}

    def first_weight(name):
        for w in weights:  # a weight belongs to the layer named by its deepest matching path segment
            owner = [p for p in w['name'].split('/')[:-1] if p in names]
            if owner and owner[-1] == name:
                return w['shape'], 'float32'
        return None
    return keras_rows(layers, first_weight)


DESCRIBE = {
    'burn-complex_nested.safetensors': lambda: describe_safetensors(os.path.join(DATA, 'burn-complex_nested.safetensors')),
    'burn-multi_layer.safetensors': lambda: describe_safetensors(os.path.join(DATA, 'burn-multi_layer.safetensors')),
    'burn-complex_nested.pt': lambda: describe_torch(os.path.join(DATA, 'burn-complex_nested.pt')),
    'resnet20-12fca82f.th': lambda: describe_torch(zoo('resnet20-12fca82f.th')),
    'resnet32-d509ac18.th': lambda: describe_torch(zoo('resnet32-d509ac18.th')),
    'resnet44-014dd654.th': lambda: describe_torch(zoo('resnet44-014dd654.th')),
    'resnet56-4bfd9763.th': lambda: describe_torch(zoo('resnet56-4bfd9763.th')),
    'resnet20-statedict.pt': lambda: describe_torch(zoo('resnet20-statedict.pt')),
    'resnet20.safetensors': lambda: describe_safetensors(zoo('resnet20.safetensors')),
    'resnet18.onnx': lambda: describe_onnx(os.path.join(ONNX_DIR, 'resnet18.onnx')),
    'all-minilm-l6-v2.onnx': lambda: describe_onnx(os.path.join(ONNX_DIR, 'all-minilm-l6-v2.onnx')),
    'snowflake-arctic-embed-xs.onnx': lambda: describe_onnx(os.path.join(ONNX_DIR, 'snowflake-arctic-embed-xs.onnx')),
    'minilm-l6-layer0.gguf': lambda: describe_gguf(os.path.join(DATA, 'minilm-l6-layer0.gguf')),
    'carex_15_data.npz': lambda: describe_numpy(os.path.join(DATA, 'carex_15_data.npz')),
    'stable-Z1-pdf-sample-data.npy': lambda: describe_numpy(os.path.join(DATA, 'stable-Z1-pdf-sample-data.npy')),
    'nsfwjs-mobilenet_v2': lambda: describe_tfjs(os.path.join(NSFWJS_DIR, 'mobilenet_v2')),
    'nsfwjs-mobilenet_v2_mid': lambda: describe_tfjs(os.path.join(NSFWJS_DIR, 'mobilenet_v2_mid')),
    'nsfwjs-inception_v3': lambda: describe_tfjs(os.path.join(NSFWJS_DIR, 'inception_v3')),
    'str_ww_model.h5': lambda: describe_h5(os.path.join(SHARED, 'realworld', 'keras', 'str_ww_model.h5')),
    'trainedResnet_20201214_1120.h5': lambda: describe_h5(os.path.join(SHARED, 'realworld', 'keras', 'trainedResnet_20201214_1120.h5')),
    'trainedResnet_20201216_945.h5': lambda: describe_h5(os.path.join(SHARED, 'realworld', 'keras', 'trainedResnet_20201216_945.h5')),
}
assert set(JOBS) <= set(DESCRIBE), set(JOBS) - set(DESCRIBE)

if __name__ == '__main__':
    out_dir, jobs = sys.argv[1], sys.argv[2:] or list(DESCRIBE)
    for job in jobs:
        rows = DESCRIBE[job]()
        with open(os.path.join(out_dir, job + '.layers.csv'), 'w', newline='') as f:
            w = csv.DictWriter(f, COLUMNS, lineterminator='\n')
            w.writeheader()
            w.writerows(rows)
        print(f"{job}: {len(rows)} layers, {sum(r['expected'] == 'analyzed' for r in rows)} analyzed")
