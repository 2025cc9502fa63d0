/**
 * Worker side of the encoder benchmark: onnxruntime-web runs in a dedicated worker with the same
 * bundles as the app's inference worker (src/workers/inference-runtime.ts: 'onnxruntime-web/wasm'
 * for WASM, the default JSEP bundle for WebGPU).
 */
/// <reference lib="webworker" />
import type { InferenceSession } from 'onnxruntime-web';
import { loadOrt, setOrtThreads } from '../src/workers/inference-runtime.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;

export interface EncoderBenchRequest {
  modelUrl: string;
  /** model bytes to use instead of fetching modelUrl (e.g. a rewritten graph under test) */
  modelBytes?: Uint8Array;
  patchPx: number;
  batch: number;
  iterations: number;
  /** untimed runs first (default 3: the first runs grow ORT's arena and warm the caches) */
  warmup?: number;
  backend: 'wasm' | 'webgpu';
  threads: number;
  /** the batch to run (normalised NCHW); default: deterministic pseudo-random pixels */
  patches?: Float32Array;
  /** extra session options (graph optimisation level, memory arena, free dimension overrides ...) */
  sessionOptions?: Partial<InferenceSession.SessionOptions>;
  /** ORT per-node profiling: the profile JSON is written to the console by the WASM build */
  profile?: boolean;
}

export interface EncoderBenchResult {
  backend: string;
  threads: number;
  isolated: boolean;
  batch: number;
  iterations: number;
  msPerBatch: number;
  /** fastest single run */
  msMin: number;
  /** every timed run, in order */
  runMs: number[];
  patchesPerSecond: number;
  /** first probability of the batch, to compare with Node */
  firstProb: number;
  /** every embedding value of the last run (to compare graphs) */
  embedding: number[];
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
  const bytes = r.modelBytes ?? new Uint8Array(await (await fetch(r.modelUrl)).arrayBuffer());
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: [r.backend],
    graphOptimizationLevel: 'all',
    ...r.sessionOptions,
    enableProfiling: Boolean(r.profile),
  });
  const inputName = session.inputNames[0];
  const feeds = { [inputName]: new ort.Tensor('float32', r.patches ?? getPatches(r.batch, r.patchPx), [r.batch, 3, r.patchPx, r.patchPx]) };
  let out = await session.run(feeds); // warm-up
  for (let i = 1; i < (r.warmup ?? 3); i++) out = await session.run(feeds);
  const runMs: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < r.iterations; i++) {
    const t = performance.now();
    out = await session.run(feeds);
    runMs.push(performance.now() - t);
  }
  const msMin = Math.min(...runMs);
  const ms = (performance.now() - t0) / r.iterations;
  const read = async (name: string) => {
    const t = out[name];
    return t.location === 'cpu' ? (t.data as Float32Array) : ((await t.getData()) as Float32Array);
  };
  const firstProb = (await read('prob'))[0];
  const embedding = Array.from(await read('embedding'));
  if (r.profile) session.endProfiling();
  await session.release();
  return {
    backend: r.backend,
    threads: r.threads,
    isolated: self.crossOriginIsolated,
    batch: r.batch,
    iterations: r.iterations,
    msPerBatch: ms,
    msMin,
    runMs,
    patchesPerSecond: (r.batch * 1000) / ms,
    firstProb,
    embedding,
  };
}

if (!scope.name?.startsWith('em-pthread')) {
  scope.onmessage = (ev: MessageEvent<EncoderBenchRequest>) => {
    run(ev.data).then(
      (res) => scope.postMessage({ ok: true, res }),
      (err) => scope.postMessage({ ok: false, message: err instanceof Error ? err.message : String(err) }),
    );
  };
}
