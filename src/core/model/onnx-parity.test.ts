/**
 * ONNX parity: the default package's exported models, run by onnxruntime-node (CPU, fp32), give the
 * PyTorch outputs recorded by models/train/export.py on real inputs (HER2ST B4 spot patches, a GlaS
 * window, B4 panel vectors and B4 neighbourhood tokens) within the fixtures' tolerance (1e-4).
 * Runs without Python: fixtures are committed under tests/fixtures/model-parity/.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { loadNodeModel } from './node-model.ts';
import { getOrientedProb, loadViewLogOddsSum } from './orientations.ts';

const ROOT = resolve(__dirname, '../../..');
const FIX = `${ROOT}/tests/fixtures/model-parity`;
const PKG = `${ROOT}/models/default`;

interface BinRef {
  file: string;
  shape: number[];
}
interface ModelFixture {
  onnx: string;
  sha256: string;
  inputs: Record<string, BinRef>;
  outputs: Record<string, BinRef>;
  /** histology only: the probability averaged over the manifest's views (orientations.ts) */
  oriented?: { orientations: number; prob: BinRef };
}
interface Fixtures {
  tolerance: number;
  models: Record<string, ModelFixture>;
}

const fixtures = JSON.parse(readFileSync(`${FIX}/fixtures.json`, 'utf8')) as Fixtures;

function readBin(ref: BinRef): Float32Array {
  const buf = readFileSync(`${FIX}/${ref.file}`);
  const n = ref.shape.reduce((a, b) => a * b, 1);
  expect(buf.byteLength, `${ref.file} size`).toBe(n * 4);
  // copy out of Node's pooled buffer (byteOffset may not be 4-aligned)
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

describe('default model package: onnxruntime-node matches PyTorch', () => {
  const manifest = JSON.parse(readFileSync(`${PKG}/manifest.json`, 'utf8')) as { files: { role: string; path: string; sha256: string }[] };

  for (const [role, fx] of Object.entries(fixtures.models)) {
    it(`${role} (${fx.onnx})`, async () => {
      const bytes = readFileSync(`${PKG}/${fx.onnx}`);
      const hex = createHash('sha256').update(bytes).digest('hex');
      // fixtures and package are written by the same export run: a mismatch means stale fixtures
      expect(hex, `models/default/${fx.onnx} differs from the model the fixtures were made with; rerun npm run models:train`).toBe(fx.sha256);
      expect(manifest.files.find((f) => f.role === role)?.sha256).toBe(hex);
      const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 2, graphOptimizationLevel: 'all' });
      try {
        const feeds: Record<string, ort.Tensor> = {};
        for (const [name, ref] of Object.entries(fx.inputs)) feeds[name] = new ort.Tensor('float32', readBin(ref), ref.shape);
        const out = await session.run(feeds);
        for (const [name, ref] of Object.entries(fx.outputs)) {
          const want = readBin(ref);
          const got = out[name];
          expect(got, `output ${name}`).toBeDefined();
          expect(Array.from(got.dims)).toEqual(ref.shape);
          const data = got.data as Float32Array;
          let maxDiff = 0;
          for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(data[i] - want[i]));
          expect(maxDiff, `${role}.${name} max |onnx - torch|`).toBeLessThanOrEqual(fixtures.tolerance);
          // outputs are not degenerate (probabilities vary across the real inputs)
          if (name === 'prob') expect(Math.max(...want) - Math.min(...want)).toBeGreaterThan(1e-3);
        }
      } finally {
        await session.release();
      }
    });
  }

  const oriented = fixtures.models.histology?.oriented;
  it('histology averaged over the manifest orientations (the pipeline rule, orientations.ts)', async () => {
    expect(oriented, 'fixtures.json has models.histology.oriented').toBeDefined();
    const { model } = await loadNodeModel(PKG);
    try {
      expect(model.manifest.histology.orientations).toBe(oriented!.orientations);
      const ref = fixtures.models.histology.inputs.patch;
      const n = ref.shape[0];
      const sum = await loadViewLogOddsSum(model, readBin(ref), n, 0, oriented!.orientations);
      const want = readBin(oriented!.prob);
      let maxDiff = 0;
      for (let i = 0; i < n; i++) maxDiff = Math.max(maxDiff, Math.abs(getOrientedProb(sum[i], oriented!.orientations) - want[i]));
      expect(maxDiff, 'max |pipeline - torch| of the combined probability').toBeLessThanOrEqual(fixtures.tolerance);
    } finally {
      await model.release();
    }
  });
});
