"""Probe (not shipped): is a static int8 histology encoder faster in onnxruntime-web's WASM build?
QDQ quantisation by hand (Debian has no onnxruntime for Python): uint8 activations (min / max over
real patches), int8 symmetric per-channel weights, int32 biases; onnxruntime fuses it to QLinearConv.

  /usr/bin/python3 bench/histology-int8.py calib models/default/histology.onnx /tmp/calib.onnx /tmp/tensors.json
  npx tsx bench/int8-calibrate.ts /tmp/calib.onnx /tmp/tensors.json /tmp/ranges.json
  /usr/bin/python3 bench/histology-int8.py quant models/default/histology.onnx /tmp/ranges.json /tmp/h8.onnx
  npx tsx bench/infer-profile.ts models/default/histology.onnx /tmp/h8.onnx

Result on the 2-core machine (batch 32, 2 threads): onnxruntime-node 9.3 ms (fp32 20.9 ms in the
same command), browser WASM 100.6 ms (fp32 55.0 ms): QLinearConv takes 97% of the WASM time. So int8
halves node's time and doubles the browser's; not used.
"""
import json, sys
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

def targets(m):
    cons = {}
    for n in m.graph.node:
        for i in n.input: cons.setdefault(i, []).append(n)
    t = ['patch']
    for n in m.graph.node:
        if n.op_type == 'Clip' or n.op_type == 'Add':
            t.append(n.output[0])
        if n.op_type == 'Conv':
            nxt = cons.get(n.output[0], [])
            if not (len(nxt) == 1 and nxt[0].op_type == 'Clip'):
                t.append(n.output[0])
    return t

mode = sys.argv[1]
m = onnx.load(sys.argv[2])
T = targets(m)
if mode == 'calib':
    for name in T:
        if name == 'patch': continue
        m.graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, None))
    onnx.save(m, sys.argv[3]); json.dump(T, open(sys.argv[4], 'w')); sys.exit()

ranges = json.load(open(sys.argv[3]))
init = {i.name: i for i in m.graph.initializer}
consts = {}
for n in m.graph.node:
    if n.op_type == 'Constant': consts[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
new_nodes, new_inits = [], []
qparams = {}
for name in T:
    lo, hi = ranges[name]
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = (hi - lo) / 255.0 or 1.0
    zp = int(round(-lo / scale)); zp = max(0, min(255, zp))
    qparams[name] = (scale, zp)
# rename: tensor X gets Q->DQ producing X_dq; consumers use X_dq
def qdq(name):
    s, zp = qparams[name]
    sn, zn = name + '_qs', name + '_qzp'
    new_inits.append(numpy_helper.from_array(np.array(s, np.float32), sn))
    new_inits.append(numpy_helper.from_array(np.array(zp, np.uint8), zn))
    return [helper.make_node('QuantizeLinear', [name, sn, zn], [name + '_q']),
            helper.make_node('DequantizeLinear', [name + '_q', sn, zn], [name + '_dq'])]
rename = {name: name + '_dq' for name in T}
out_names = {o.name for o in m.graph.output}
for name in T:
    if name == 'patch': new_nodes += qdq(name)
for n in m.graph.node:
    ins = list(n.input)
    ins = [rename.get(i, i) for i in ins]
    if n.op_type == 'Conv':
        x_scale = qparams[n.input[0]][0]
        w = numpy_helper.to_array(init[n.input[1]])
        ws = np.abs(w).reshape(w.shape[0], -1).max(1) / 127.0
        ws[ws == 0] = 1e-8
        wq = np.clip(np.round(w / ws[:, None, None, None]), -127, 127).astype(np.int8)
        wn = n.input[1]
        new_inits += [numpy_helper.from_array(wq, wn + '_i8'), numpy_helper.from_array(ws.astype(np.float32), wn + '_s'),
                      numpy_helper.from_array(np.zeros(len(ws), np.int8), wn + '_zp')]
        new_nodes.append(helper.make_node('DequantizeLinear', [wn + '_i8', wn + '_s', wn + '_zp'], [wn + '_dq'], axis=0))
        ins[1] = wn + '_dq'
        if len(n.input) > 2:
            b = numpy_helper.to_array(init[n.input[2]])
            bs = (x_scale * ws).astype(np.float32)
            bq = np.round(b / bs).astype(np.int32)
            bn = n.input[2]
            new_inits += [numpy_helper.from_array(bq, bn + '_i32'), numpy_helper.from_array(bs, bn + '_s'),
                          numpy_helper.from_array(np.zeros(len(bs), np.int32), bn + '_zp')]
            new_nodes.append(helper.make_node('DequantizeLinear', [bn + '_i32', bn + '_s', bn + '_zp'], [bn + '_dq'], axis=0))
            ins[2] = bn + '_dq'
    del n.input[:]
    n.input.extend(ins)
    new_nodes.append(n)
    for o in n.output:
        if o in qparams: new_nodes += qdq(o)
used = set()
for n in new_nodes: used.update(n.input)
keep = [i for i in m.graph.initializer if i.name in used]
del m.graph.initializer[:]
m.graph.initializer.extend(keep + new_inits)
del m.graph.node[:]
m.graph.node.extend(new_nodes)
onnx.checker.check_model(m)
onnx.save(m, sys.argv[4])
print('quantised', len(T), 'activation tensors')
