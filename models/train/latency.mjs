// Per-patch / per-section latency of a model package with onnxruntime-node (CPU, 2 intra-op threads).
// usage: node models/train/latency.mjs models/default  -> JSON on stdout
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';

const dir = process.argv[2] ?? 'models/default';
const manifest = JSON.parse(readFileSync(`${dir}/manifest.json`, 'utf8'));
const file = (role) => manifest.files.find((f) => f.role === role);
const opts = { executionProviders: ['cpu'], intraOpNumThreads: 2, interOpNumThreads: 1, graphOptimizationLevel: 'all' };

async function time(session, feeds, reps) {
  await session.run(feeds);
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await session.run(feeds);
  return (performance.now() - t0) / reps;
}
function rand(n) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.sin(i * 12.9898) * 0.5;
  return a;
}
const P = manifest.histology.patchPx;
const out = { runtime: 'onnxruntime-node cpu, 2 threads', patchPx: P };
const h = await ort.InferenceSession.create(readFileSync(`${dir}/${file('histology').path}`), opts);
for (const b of [1, 32, 128]) {
  const ms = await time(h, { patch: new ort.Tensor('float32', rand(b * 3 * P * P), [b, 3, P, P]) }, b === 1 ? 50 : 5);
  out[`histology_batch${b}_ms`] = ms;
  out[`histology_per_patch_ms_batch${b}`] = ms / b;
}
const G = file('gene').inputs[0].shape[1];
const g = await ort.InferenceSession.create(readFileSync(`${dir}/${file('gene').path}`), opts);
out.gene_700_spots_ms = await time(g, { genes: new ort.Tensor('float32', rand(700 * G), [700, G]) }, 5);
const fi = file('fusion').inputs;
const f = await ort.InferenceSession.create(readFileSync(`${dir}/${file('fusion').path}`), opts);
out.fusion_700_spots_ms = await time(f, {
  image_tokens: new ort.Tensor('float32', rand(700 * 7 * fi[0].shape[2]), [700, 7, fi[0].shape[2]]),
  gene_tokens: new ort.Tensor('float32', rand(700 * 7 * fi[1].shape[2]), [700, 7, fi[1].shape[2]]),
}, 5);
out.section_700_spots_total_ms = out.histology_per_patch_ms_batch32 * 700 + out.gene_700_spots_ms + out.fusion_700_spots_ms;
console.log(JSON.stringify(out, null, 1));
