"""Probe (not shipped): onnxruntime-web's SIMD WASM build runs a 3x3 depthwise Conv as a small
im2col + GEMM per image and channel. Does it run faster written as 9 shifted, strided Slices of the
padded input, each scaled by its per-channel tap (Mul) and summed with the bias in one Sum (exact up to
float summation order)?

  /usr/bin/python3 bench/histology-dwslices.py models/default/histology.onnx /tmp/dwslices.onnx
  npx tsx bench/infer-profile.ts models/default/histology.onnx /tmp/dwslices.onnx

Result (2 cores, batch 32, 2 threads, same command; outputs equal within 2e-6): browser WASM 181.6 vs
51.7 ms per batch, onnxruntime-node 118.9 vs 17.2 ms. The Slices alone took 99 ms in WASM (strided
copies), the Muls 31, the Pads 25, the Sums 21, against 31 ms for the 13 depthwise convolutions as
shipped. Not used.
"""
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

m = onnx.load(sys.argv[1])
g = m.graph
inits = {i.name: i for i in g.initializer}
opset = max(o.version for o in m.opset_import if o.domain in ('', 'ai.onnx'))
new_nodes, new_inits, n_changed = [], [], 0


def const(name, arr):
    new_inits.append(numpy_helper.from_array(np.asarray(arr), name))
    return name


for n in g.node:
    attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
    if n.op_type != 'Conv' or attrs.get('group', 1) == 1:
        new_nodes.append(n)
        continue
    w = numpy_helper.to_array(inits[n.input[1]])
    C, one, kh, kw = w.shape
    if one != 1 or attrs['group'] != C:
        new_nodes.append(n)
        continue
    b = numpy_helper.to_array(inits[n.input[2]]) if len(n.input) > 2 else np.zeros(C, np.float32)
    s = attrs.get('strides', [1, 1])
    d = attrs.get('dilations', [1, 1])
    assert d == [1, 1]
    pads = attrs.get('pads', [0, 0, 0, 0])
    p = f'dws{n_changed}_'
    x = n.input[0]
    if any(pads):
        pv = const(p + 'pads', np.array([0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3]], np.int64))
        new_nodes.append(helper.make_node('Pad', [x, pv], [p + 'xp'], mode='constant'))
        x = p + 'xp'
    # output size: (H + pt + pb - kh) // s + 1 taps; each tap is a strided slice of the padded input
    terms = []
    axes = const(p + 'axes', np.array([2, 3], np.int64))
    steps = const(p + 'steps', np.array(s, np.int64))
    shape_out = p + 'shape'
    new_nodes.append(helper.make_node('Shape', [x], [shape_out]))
    hw = p + 'hw'
    new_nodes.append(helper.make_node('Slice', [shape_out, const(p + 'i2', np.array([2], np.int64)), const(p + 'i4', np.array([4], np.int64))], [hw]))
    for i in range(kh):
        for j in range(kw):
            start = const(p + f'st{i}{j}', np.array([i, j], np.int64))
            # end = hw - (k - 1 - offset): the last tap reaches the padded edge
            end = p + f'en{i}{j}'
            new_nodes.append(helper.make_node('Sub', [hw, const(p + f'off{i}{j}', np.array([kh - 1 - i, kw - 1 - j], np.int64))], [end]))
            sl = p + f'sl{i}{j}'
            new_nodes.append(helper.make_node('Slice', [x, start, end, axes, steps], [sl]))
            tap = const(p + f'w{i}{j}', w[:, 0, i, j].reshape(1, C, 1, 1).astype(np.float32))
            new_nodes.append(helper.make_node('Mul', [sl, tap], [p + f'm{i}{j}']))
            terms.append(p + f'm{i}{j}')
    terms.append(const(p + 'b', b.reshape(1, C, 1, 1).astype(np.float32)))
    new_nodes.append(helper.make_node('Sum', terms, [n.output[0]]))
    n_changed += 1

del g.node[:]
g.node.extend(new_nodes)
g.initializer.extend(new_inits)
onnx.checker.check_model(m)
onnx.save(m, sys.argv[2])
print('depthwise convs rewritten:', n_changed)
