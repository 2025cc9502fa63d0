"""Probe models for the encoder ratio (bench/infer-profile.ts): how fast onnxruntime-web's WASM
build can be against onnxruntime-node on this machine for the two kinds of work a CNN encoder is
made of, independent of our model.

  /usr/bin/python3 bench/encoder-probes.py /tmp/probes
  npx tsx bench/infer-profile.ts /tmp/probes/gemm.onnx /tmp/probes/conv3x3.onnx

- gemm.onnx: the patch batch [N,3,64,64] reshaped to [N*12, 1024] through two 1024x1024 MatMuls
  (large GEMMs with constant, pre-packed weights: the best case for WASM SIMD).
- conv3x3.onnx: five dense 3x3 convolutions (3->64 stride 2, 64->64, 64->128 stride 2, 128->128 x2)
  and a global average pool: a "naive CNN" (im2col + GEMM in WASM, direct NCHWc kernels in node).
Random weights (seed 0); only the timing matters. Needs python3-onnx.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def save(nodes, inits, path):
    graph = helper.make_graph(
        nodes, 'probe',
        [helper.make_tensor_value_info('patch', TensorProto.FLOAT, ['N', 3, 64, 64])],
        [helper.make_tensor_value_info('embedding', TensorProto.FLOAT, ['N', 'D']),
         helper.make_tensor_value_info('prob', TensorProto.FLOAT, ['M'])],
        [numpy_helper.from_array(v, k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)])
    onnx.checker.check_model(model)
    onnx.save(model, path)


def main(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(0)
    inits = {'rows': np.array([-1, 1024], np.int64), 'flat': np.array([-1], np.int64),
             'w1': (rng.standard_normal((1024, 1024)) * 0.03).astype(np.float32),
             'w2': (rng.standard_normal((1024, 1024)) * 0.03).astype(np.float32)}
    nodes = [helper.make_node('Reshape', ['patch', 'rows'], ['r']), helper.make_node('MatMul', ['r', 'w1'], ['a']),
             helper.make_node('Relu', ['a'], ['b']), helper.make_node('MatMul', ['b', 'w2'], ['embedding']),
             helper.make_node('Reshape', ['embedding', 'flat'], ['prob'])]
    save(nodes, inits, os.path.join(out, 'gemm.onnx'))

    inits, nodes, x = {'flat': np.array([-1], np.int64)}, [], 'patch'
    for i, (ci, co, s) in enumerate([(3, 64, 2), (64, 64, 1), (64, 128, 2), (128, 128, 1), (128, 128, 1)]):
        inits[f'w{i}'] = (rng.standard_normal((co, ci, 3, 3)) * 0.05).astype(np.float32)
        inits[f'b{i}'] = np.zeros(co, np.float32)
        nodes += [helper.make_node('Conv', [x, f'w{i}', f'b{i}'], [f'c{i}'], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[s, s]),
                  helper.make_node('Relu', [f'c{i}'], [f'r{i}'])]
        x = f'r{i}'
    nodes += [helper.make_node('GlobalAveragePool', [x], ['gp']), helper.make_node('Flatten', ['gp'], ['embedding']),
              helper.make_node('Reshape', ['embedding', 'flat'], ['prob'])]
    save(nodes, inits, os.path.join(out, 'conv3x3.onnx'))
    print(f'{out}: gemm.onnx, conv3x3.onnx', file=sys.stderr)


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else '/tmp/fusescope-probes')
