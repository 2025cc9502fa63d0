/**
 * Browser side of bench/infer.ts: times the histology encoder of a model package with
 * onnxruntime-web (WASM SIMD + threads, or WebGPU) on a fixed batch, in a dedicated worker like
 * the app's inference worker. Exposes `window.runEncoderBench`.
 */
import type { EncoderBenchRequest, EncoderBenchResult } from './infer-bench.worker';

function runEncoderBench(
  modelUrl: string,
  patchPx: number,
  batch: number,
  iterations: number,
  backend: 'wasm' | 'webgpu',
  wantThreads?: number,
  patchesBase64?: string,
): Promise<EncoderBenchResult> {
  const patches = patchesBase64 ? new Float32Array(Uint8Array.from(atob(patchesBase64), (c) => c.charCodeAt(0)).buffer) : undefined;
  const threads = wantThreads ?? (self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 2) : 1);
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
    worker.postMessage({ modelUrl, patchPx, batch, iterations, backend, threads, patches } satisfies EncoderBenchRequest);
  });
}

(window as unknown as { runEncoderBench: typeof runEncoderBench }).runEncoderBench = runEncoderBench;
