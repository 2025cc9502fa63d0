/**
 * Browser side of bench/infer.ts: times the histology encoder of a model package with
 * onnxruntime-web (WASM SIMD + threads, or WebGPU) on a fixed batch, in a dedicated worker like
 * the app's inference worker. Exposes `window.runEncoderBench`.
 */
import type { EncoderBenchRequest, EncoderBenchResult } from './infer-bench.worker';

export interface EncoderBenchArgs {
  modelUrl: string;
  /** base64 model bytes instead of modelUrl */
  modelBase64?: string;
  patchPx: number;
  batch: number;
  iterations: number;
  backend: 'wasm' | 'webgpu';
  /** default: min(4, cores) when cross-origin isolated, else 1 (as the app) */
  threads?: number;
  /** base64 of the normalised NCHW float32 batch */
  patchesBase64?: string;
  sessionOptions?: EncoderBenchRequest['sessionOptions'];
  profile?: boolean;
}

function fromBase64(s: string): Uint8Array {
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

function runEncoderBench(a: EncoderBenchArgs): Promise<EncoderBenchResult> {
  const patches = a.patchesBase64 ? new Float32Array(fromBase64(a.patchesBase64).buffer) : undefined;
  const threads = a.threads ?? (self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 2) : 1);
  const worker = new Worker(new URL('./infer-bench.worker.ts', import.meta.url), { type: 'module', name: 'encoder-bench' });
  return new Promise<EncoderBenchResult>((resolve, reject) => {
    worker.onmessage = (ev: MessageEvent<{ ok: true; res: EncoderBenchResult } | { ok: false; message: string }>) => {
      worker.terminate();
      if (ev.data.ok) resolve(ev.data.res);
      else reject(new Error(ev.data.message));
    };
    worker.onerror = (ev) => {
      worker.terminate();
      reject(new Error(ev.message || 'bench worker failed'));
    };
    const req: EncoderBenchRequest = {
      modelUrl: a.modelUrl,
      modelBytes: a.modelBase64 ? fromBase64(a.modelBase64) : undefined,
      patchPx: a.patchPx,
      batch: a.batch,
      iterations: a.iterations,
      backend: a.backend,
      threads,
      patches,
      sessionOptions: a.sessionOptions,
      profile: a.profile,
    };
    worker.postMessage(req);
  });
}

(window as unknown as { runEncoderBench: typeof runEncoderBench }).runEncoderBench = runEncoderBench;
