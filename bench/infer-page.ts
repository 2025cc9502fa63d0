/**
 * Browser side of bench/infer.ts: times the histology encoder of a model package with
 * onnxruntime-web (WASM SIMD + threads, or WebGPU) on a fixed batch, inside a worker-free page so
 * the number is the runtime's own. Exposes `window.runEncoderBench`.
 */
import * as ort from 'onnxruntime-web';

interface BenchResult {
  backend: string;
  threads: number;
  isolated: boolean;
  batch: number;
  iterations: number;
  msPerBatch: number;
  patchesPerSecond: number;
  /** first probability of the batch, to compare with Node */
  firstProb: number;
}

function getPatches(n: number, p: number): Float32Array {
  // deterministic pseudo-random normalised pixels (same generator as the Node side)
  const out = new Float32Array(n * 3 * p * p);
  let s = 12345;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = ((s >>> 8) / 16777216) * 4 - 2;
  }
  return out;
}

async function runEncoderBench(modelUrl: string, patchPx: number, batch: number, iterations: number, backend: 'wasm' | 'webgpu', wantThreads?: number): Promise<BenchResult> {
  const threads = wantThreads ?? (self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 2) : 1);
  ort.env.wasm.numThreads = threads;
  const bytes = new Uint8Array(await (await fetch(modelUrl)).arrayBuffer());
  const session = await ort.InferenceSession.create(bytes, { executionProviders: [backend], graphOptimizationLevel: 'all' });
  const data = getPatches(batch, patchPx);
  const feeds = { patch: new ort.Tensor('float32', data, [batch, 3, patchPx, patchPx]) };
  let out = await session.run(feeds); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) out = await session.run(feeds);
  const ms = (performance.now() - t0) / iterations;
  const prob = out.prob;
  const firstProb = prob.location === 'cpu' ? (prob.data as Float32Array)[0] : ((await prob.getData()) as Float32Array)[0];
  await session.release();
  return { backend, threads, isolated: self.crossOriginIsolated, batch, iterations, msPerBatch: ms, patchesPerSecond: (batch * 1000) / ms, firstProb };
}

(window as unknown as { runEncoderBench: typeof runEncoderBench }).runEncoderBench = runEncoderBench;
