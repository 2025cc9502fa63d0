"""Exports histology.onnx as a plain graph (graph.json: nodes, weight offsets) plus weights.bin
(float32) for bench/histology-tfjs-probe.mjs, which runs the same graph on TensorFlow.js's WASM
backend (XNNPACK kernels) to see whether another WASM runtime closes the encoder gap.

  /usr/bin/python3 bench/histology-tfjs-export.py [models/default/histology.onnx] [OUT_DIR]
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

model = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "models", "default", "histology.onnx")
out = sys.argv[2] if len(sys.argv) > 2 else "/tmp/fusescope-tfjs"
os.makedirs(out, exist_ok=True)
g = onnx.load(model).graph
weights = {i.name: numpy_helper.to_array(i) for i in g.initializer}
nodes = []
for n in g.node:
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
    if n.op_type == "Constant":
        weights[n.output[0]] = numpy_helper.to_array(attrs["value"])
        continue
    nodes.append({"op": n.op_type, "in": list(n.input), "out": list(n.output), "attrs": {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in attrs.items()}})
blob = bytearray()
meta = {}
for k, v in weights.items():
    v = np.ascontiguousarray(v.astype(np.float32))
    meta[k] = {"offset": len(blob) // 4, "shape": list(v.shape)}
    blob += v.tobytes()
json.dump({"nodes": nodes, "weights": meta, "outputs": [o.name for o in g.output]}, open(os.path.join(out, "graph.json"), "w"))
open(os.path.join(out, "weights.bin"), "wb").write(bytes(blob))
print(f"{len(nodes)} nodes, {len(blob)} bytes of weights -> {out}")
