/**
 * `npx tsx bench/int8-calibrate.ts calib.onnx tensors.json ranges.json`: activation ranges for
 * bench/histology-int8.py (min / max of each tensor over 256 real HER2ST patches, onnxruntime-node).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { getDefaultManifest, getRealPatches } from './real-patches.ts';

const [model, tensorsPath, out] = process.argv.slice(2);
const names = JSON.parse(readFileSync(tensorsPath, 'utf8')) as string[];
const m = getDefaultManifest();
const P = m.histology.patchPx;
const N = 256;
const B = 64;
const patches = await getRealPatches(m, N, P);
const session = await ort.InferenceSession.create(model);
const ranges: Record<string, [number, number]> = {};
for (let b = 0; b < N; b += B) {
  const x = new ort.Tensor('float32', patches.slice(b * 3 * P * P, (b + B) * 3 * P * P), [B, 3, P, P]);
  const r = await session.run({ patch: x });
  for (const name of names) {
    const d = (name === 'patch' ? x : r[name]).data as Float32Array;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const v of d) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const c = ranges[name] ?? [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
    ranges[name] = [Math.min(c[0], lo), Math.max(c[1], hi)];
  }
}
writeFileSync(out, JSON.stringify(ranges));
console.log(`${names.length} activation ranges written to ${out}`);
