/**
 * Main-thread client of the ST worker: `loadStInWorker(files, opts)` parses dropped files in a
 * dedicated worker with progress events and returns the StDataset (typed arrays transferred, not
 * copied). Cancelling (AbortSignal) terminates the worker: h5wasm reads are synchronous, so a
 * cooperative check alone could not stop a long read. Errors: StError for bad input (file /
 * problem / hint), DOMException 'AbortError' when cancelled.
 */
import type { StDataset } from '../core/st/types.ts';
import { getErrorFromStWorker, type StWorkerMessage, type StWorkerOptions, type StWorkerRequest } from '../core/st/worker-protocol.ts';

export interface LoadStInWorkerOptions extends StWorkerOptions {
  onProgress?: (fraction: number, message: string) => void;
  signal?: AbortSignal;
  /** relative paths of the files inside a dropped folder (default: each File's webkitRelativePath or '') */
  paths?: string[];
  /** for tests: how to start the worker */
  createWorker?: () => StWorkerLike;
}

/** The part of Worker the client uses. */
export interface StWorkerLike {
  onmessage: ((ev: MessageEvent<StWorkerMessage>) => void) | null;
  onerror: ((ev: ErrorEvent) => void) | null;
  postMessage(msg: StWorkerRequest): void;
  terminate(): void;
}

function createStWorker(): StWorkerLike {
  return new Worker(new URL('./st.worker.ts', import.meta.url), { type: 'module', name: 'st' }) as unknown as StWorkerLike;
}

export function loadStInWorker(files: (File | (Blob & { name: string; webkitRelativePath?: string }))[], opts: LoadStInWorkerOptions = {}): Promise<StDataset> {
  const { onProgress, signal, paths, createWorker, ...loadOpts } = opts;
  if (signal?.aborted) return Promise.reject(new DOMException('The ST load was cancelled.', 'AbortError'));
  return new Promise<StDataset>((resolve, reject) => {
    const worker = (createWorker ?? createStWorker)();
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      worker.terminate();
      fn();
    };
    const onAbort = () => finish(() => reject(new DOMException('The ST load was cancelled.', 'AbortError')));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.onmessage = (ev) => {
      const m = ev.data;
      if (m.type === 'progress') {
        if (!settled) onProgress?.(m.fraction, m.message);
      } else if (m.type === 'done') finish(() => resolve(m.dataset));
      else finish(() => reject(getErrorFromStWorker(m.error)));
    };
    worker.onerror = (ev) => {
      ev.preventDefault?.();
      finish(() => reject(new Error(`ST worker failed: ${ev.message || 'unknown error'}`)));
    };
    const request: StWorkerRequest = {
      type: 'load',
      files,
      paths: files.map((f, i) => paths?.[i] ?? (f as { webkitRelativePath?: string }).webkitRelativePath ?? ''),
      opts: loadOpts,
    };
    worker.postMessage(request);
  });
}
