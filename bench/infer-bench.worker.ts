/**
 * Worker side of the encoder benchmark: onnxruntime-web runs in a dedicated worker with the same
 * bundles as the app's inference worker (src/workers/inference-runtime.ts: 'onnxruntime-web/wasm'
 * for WASM, the default JSEP bundle for WebGPU).
 */
/// <reference lib="webworker" />
import { loadOrt, setOrtThreads } from '../src/workers/inference-runtime.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;

export interface EncoderBenchRequest {
  modelUrl: string;
  patchPx: number;
  batch: number;
  iterations: number;
  backend: 'wasm' | 'webgpu';
  threads: number;
  /** the batch to run (normalised NCHW); default: deterministic pseudo-random pixels */
  patches?: Float32Array;
}

export interface EncoderBenchResult {
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

/** Deterministic pseudo-random normalised pixels (the same generator as bench/infer.ts). */
function getPatches(n: number, p: number): Float32Array {
  const out = new Float32Array(n * 3 * p * p);
  let s = 12345;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = ((s >>> 8) / 16777216) * 4 - 2;
  }
  return out;
}

async function run(r: EncoderBenchRequest): Promise<EncoderBenchResult> {
  setOrtThreads(r.threads);
  const ort = await loadOrt(r.backend);
  const bytes = new Uint8Array(await (await fetch(r.modelUrl)).arrayBuffer());
  const session = await ort.InferenceSession.create(bytes, { executionProviders: [r.backend], graphOptimizationLevel: 'all' });
  const feeds = { patch: new ort.Tensor('float32', r.patches ?? getPatches(r.batch, r.patchPx), [r.batch, 3, r.patchPx, r.patchPx]) };
  let out = await session.run(feeds); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < r.iterations; i++) out = await session.run(feeds);
  const ms = (performance.now() - t0) / r.iterations;
  const prob = out.prob;
  const firstProb = prob.location === 'cpu' ? (prob.data as Float32Array)[0] : ((await prob.getData()) as Float32Array)[0];
  await session.release();
  return { backend: r.backend, threads: r.threads, isolated: self.crossOriginIsolated, batch: r.batch, iterations: r.iterations, msPerBatch: ms, patchesPerSecond: (r.batch * 1000) / ms, firstProb };
}

if (!scope.name?.startsWith('em-pthread')) {
  scope.onmessage = (ev: MessageEvent<EncoderBenchRequest>) => {
    run(ev.data).then(
      (res) => scope.postMessage({ ok: true, res }),
      (err) => scope.postMessage({ ok: false, message: err instanceof Error ? err.message : String(err) }),
    );
  };
}
