"""Probe (not shipped): does onnxruntime-web's WASM build run depthwise convolutions faster as fewer,
larger GEMMs? Rewrites each depthwise Conv (group == C) of the histology encoder as a grouped Conv with G
channels per group and block-diagonal weights (exact: the added taps are zeros).

  /usr/bin/python3 bench/histology-dwgroup.py models/default/histology.onnx /tmp/dw4.onnx 4
  /usr/bin/python3 bench/histology-dwgroup.py models/default/histology.onnx /tmp/dwauto.onnx auto:16:8:4
      (auto:A:B:C: A channels per group at <= 4 x 4 px, B at <= 8 x 8, C at <= 16 x 16, the rest depthwise)
  npx tsx bench/infer-profile.ts models/default/histology.onnx /tmp/dw4.onnx /tmp/dwauto.onnx

Result (2 cores, batch 32, 2 threads, browser WASM ms per batch): shipped 51.5, G = 4: 57.6, G = 16: 74.4,
auto: 57.8. Not used.
"""
import sys
import numpy as np
import onnx
from onnx import numpy_helper, shape_inference
m = onnx.load(sys.argv[1])
spec = sys.argv[3]
inits = {i.name: i for i in m.graph.initializer}
# spatial size per tensor from shape inference with a fixed batch
m2 = onnx.load(sys.argv[1])
m2.graph.input[0].type.tensor_type.shape.dim[0].dim_value = 1
m2 = shape_inference.infer_shapes(m2)
shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in list(m2.graph.value_info) + list(m2.graph.output)}
n_changed = 0
for n in m.graph.node:
    if n.op_type != 'Conv': continue
    grp = [a for a in n.attribute if a.name == 'group']
    if not grp or grp[0].i == 1: continue
    w = numpy_helper.to_array(inits[n.input[1]])
    C = w.shape[0]
    if grp[0].i != C or w.shape[1] != 1: continue
    hw = shapes.get(n.output[0], [0, 0, 0, 0])[2]
    if spec.startswith('auto'):
        parts = [int(x) for x in spec.split(':')[1:]]  # hw thresholds -> g: e.g. auto:16:8:4 means hw<=4 -> 16? keep simple
        g = parts[0] if hw <= 4 else parts[1] if hw <= 8 else parts[2] if hw <= 16 else 1
    else:
        g = int(spec)
    while C % g: g //= 2
    if g <= 1: continue
    nw = np.zeros((C, g, 3, 3), np.float32)
    for c in range(C):
        nw[c, c % g] = w[c, 0]
    inits[n.input[1]].CopyFrom(numpy_helper.from_array(nw, n.input[1]))
    grp[0].i = C // g
    n_changed += 1
    print(n.output[0][-40:], 'C', C, 'hw', hw, 'g', g)
onnx.save(m, sys.argv[2])
print('changed', n_changed)
