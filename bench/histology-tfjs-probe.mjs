/**
 * Probe, not part of the app: the histology encoder on TensorFlow.js's WASM backend (XNNPACK's SIMD
 * kernels, which onnxruntime-web does not use) against onnxruntime-node on one thread, same real
 * patches, same graph (bench/histology-tfjs-export.py). Conv + Clip(0, 6) run as one fused op.
 * tfjs is not a dependency; install it for the probe only:
 *   npm i --no-save @tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0
 *   /usr/bin/python3 bench/histology-tfjs-export.py
 *   npx tsx bench/webgpu-node.ts --paths wasm --no-section --heatmap-rounds 0 --save-patches /tmp/patches.f32
 *   node bench/histology-tfjs-probe.mjs [DIR=/tmp/fusescope-tfjs] [PATCHES=/tmp/patches.f32] [BATCH=32]
 * 2026-11-26, 2-core machine: tfjs WASM 61.5 ms per batch of 32 against onnxruntime-node 16.8 ms,
 * one thread each (0.27x; onnxruntime-web's WASM 0.18x), probabilities within 9e-7.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import * as ortNode from 'onnxruntime-node';
const DIR = process.argv[2] ?? '/tmp/fusescope-tfjs';
const PATCHES = process.argv[3] ?? '/tmp/patches.f32';
const MODEL = new URL('../models/default/histology.onnx', import.meta.url).pathname;
const g = JSON.parse(readFileSync(`${DIR}/graph.json`, 'utf8'));
const wb = new Float32Array(readFileSync(`${DIR}/weights.bin`).buffer.slice(0));
const W = {};
for (const [k, m] of Object.entries(g.weights)) W[k] = { data: wb.subarray(m.offset, m.offset + m.shape.reduce((a, b) => a * b, 1)), shape: m.shape };
await tf.setBackend('wasm');
console.log('backend', tf.getBackend());
// prepare weights: NHWC
const prep = {};
for (const n of g.nodes) {
  if (n.op === 'Conv') {
    const w = W[n.in[1]]; const [O, I, KH, KW] = w.shape; const grp = n.attrs.group ?? 1;
    const t = tf.tensor4d(w.data, [O, I, KH, KW]);
    if (grp === 1) prep[n.out[0]] = { f: tf.transpose(t, [2, 3, 1, 0]), b: tf.tensor1d(W[n.in[2]].data), dw: false };
    else prep[n.out[0]] = { f: tf.transpose(t, [2, 3, 0, 1]), b: tf.tensor1d(W[n.in[2]].data), dw: true }; // [KH,KW,C,1]
  } else if (n.op === 'Gemm') {
    const w = W[n.in[1]]; let t = tf.tensor2d(w.data, w.shape); if (n.attrs.transB) t = tf.transpose(t);
    prep[n.out[0]] = { w: t, b: tf.tensor1d(W[n.in[2]].data) };
  }
}
const consumers = {};
for (const n of g.nodes) {
  for (const i of n.in) {
    consumers[i] ??= [];
    consumers[i].push(n);
  }
}
function run(x) {
  return tf.tidy(() => {
    const v = { patch: tf.transpose(x, [0, 2, 3, 1]) };
    const fusedClip = new Set();
    for (const n of g.nodes) {
      if (fusedClip.has(n.out[0])) continue;
      const a = v[n.in[0]];
      switch (n.op) {
        case 'Conv': {
          const p = prep[n.out[0]]; const s = n.attrs.strides[0]; const pad = n.attrs.pads[0];
          const next = consumers[n.out[0]];
          let act = 'linear';
          if (next?.length === 1 && next[0].op === 'Clip') { act = 'relu6'; fusedClip.add(next[0].out[0]); }
          const padded = pad > 0 && s === 2 ? tf.pad(a, [[0,0],[pad,pad],[pad,pad],[0,0]]) : a;
          const mode = pad > 0 && s === 2 ? 'valid' : (pad > 0 ? 'same' : 'valid');
          const out = p.dw ? tf.fused.depthwiseConv2d({ x: padded, filter: p.f, strides: s, pad: mode, bias: p.b, activation: act })
                           : tf.fused.conv2d({ x: padded, filter: p.f, strides: s, pad: mode, bias: p.b, activation: act });
          v[n.out[0]] = out; if (act === 'relu6') v[next[0].out[0]] = out; break;
        }
        case 'Clip': v[n.out[0]] = tf.clipByValue(a, 0, 6); break;
        case 'Relu': v[n.out[0]] = tf.relu(a); break;
        case 'Add': v[n.out[0]] = tf.add(a, v[n.in[1]]); break;
        case 'GlobalAveragePool': v[n.out[0]] = tf.mean(a, [1, 2]); break;
        case 'Flatten': v[n.out[0]] = tf.reshape(a, [a.shape[0], -1]); break;
        case 'Gemm': { const p = prep[n.out[0]]; v[n.out[0]] = tf.add(tf.matMul(a, p.w), p.b); break; }
        case 'Squeeze': v[n.out[0]] = tf.reshape(a, [a.shape[0]]); break;
        case 'Sigmoid': v[n.out[0]] = tf.sigmoid(a); break;
        default: throw new Error(n.op);
      }
    }
    return g.outputs.map((o) => v[o]);
  });
}
const N = Number(process.argv[4] ?? 32);
const xd = new Float32Array(readFileSync(PATCHES).buffer.slice(0, N * 3 * 64 * 64 * 4));
const x = tf.tensor4d(xd, [N, 3, 64, 64]);
const outs = run(x); const probs = await outs[1].data(); outs.forEach((t) => { t.dispose(); });
const s = await ortNode.InferenceSession.create(MODEL, { intraOpNumThreads: 1 });
const ref = await s.run({ patch: new ortNode.Tensor('float32', xd, [N, 3, 64, 64]) });
let md = 0; for (let i = 0; i < N; i++) md = Math.max(md, Math.abs(probs[i] - ref.prob.data[i]));
console.log('max |prob diff| vs ort-node', md);
const ts = [];
for (let i = 0; i < 15; i++) { const t = performance.now(); const o = run(x); await o[1].data(); o.forEach((q) => { q.dispose(); }); ts.push(performance.now() - t); }
ts.sort((a, b) => a - b); console.log('tfjs', tf.getBackend(), 'batch', N, 'median ms', ts[7].toFixed(2));
const tn = [];
for (let i = 0; i < 15; i++) { const t = performance.now(); await s.run({ patch: new ortNode.Tensor('float32', xd, [N, 3, 64, 64]) }); tn.push(performance.now() - t); }
tn.sort((a, b) => a - b); console.log('ort-node 1 thread median ms', tn[7].toFixed(2));
