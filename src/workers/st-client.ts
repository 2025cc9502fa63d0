/**
 * Main-thread client of the ST worker: `loadStInWorker(files, opts)` parses dropped files in a
 * dedicated worker with progress events and returns the StDataset (typed arrays transferred, not
 * copied). Cancelling (AbortSignal) terminates the worker: h5wasm reads are synchronous, so a
 * cooperative check alone could not stop a long read. Errors: StError for bad input (file /
 * problem / hint), DOMException 'AbortError' when cancelled.
 *
 * Starting a worker costs a module load and h5wasm's wasm compile, so one finished worker is kept
 * for the next load and terminated after `IDLE_MS` without use; `prewarmStWorker()` starts it
 * ahead of the first drop.
 */
import type { StDataset } from '../core/st/types.ts';
import { getErrorFromStWorker, type StWorkerMessage, type StWorkerOptions, type StWorkerRequest } from '../core/st/worker-protocol.ts';

export interface LoadStInWorkerOptions extends StWorkerOptions {
  onProgress?: (fraction: number, message: string) => void;
  signal?: AbortSignal;
  /** relative paths of the files inside a dropped folder (default: each File's webkitRelativePath or '') */
  paths?: string[];
  /** HDF5 files at least this large are read in place with WORKERFS instead of copied (default 64 MB) */
  hdf5CopyBelowBytes?: number;
  /** for tests: how to start the worker (no reuse: the worker is terminated after the load) */
  createWorker?: () => StWorkerLike;
}

/** The part of Worker the client uses. */
export interface StWorkerLike {
  onmessage: ((ev: MessageEvent<StWorkerMessage>) => void) | null;
  onerror: ((ev: ErrorEvent) => void) | null;
  postMessage(msg: StWorkerRequest | { type: 'warm' }): void;
  terminate(): void;
}

/** How long a finished worker is kept for the next load (it holds h5wasm's grown memory). */
export const IDLE_MS = 30_000;

let idle: { worker: StWorkerLike; timer: ReturnType<typeof setTimeout> } | null = null;

function createStWorker(): StWorkerLike {
  return new Worker(new URL('./st.worker.ts', import.meta.url), { type: 'module', name: 'st' }) as unknown as StWorkerLike;
}

function takeIdleWorker(): StWorkerLike | null {
  if (!idle) return null;
  clearTimeout(idle.timer);
  const w = idle.worker;
  idle = null;
  return w;
}

function keepIdle(worker: StWorkerLike): void {
  if (idle) {
    worker.terminate();
    return;
  }
  worker.onmessage = null;
  worker.onerror = null;
  const timer = setTimeout(() => {
    if (idle?.worker === worker) idle = null;
    worker.terminate();
  }, IDLE_MS);
  (timer as { unref?: () => void }).unref?.();
  idle = { worker, timer };
}

/** Start the ST worker and h5wasm now, so the first load does not wait for them. */
export function prewarmStWorker(): void {
  if (idle) return;
  const worker = createStWorker();
  worker.postMessage({ type: 'warm' });
  keepIdle(worker);
}

export function loadStInWorker(files: (File | (Blob & { name: string; webkitRelativePath?: string }))[], opts: LoadStInWorkerOptions = {}): Promise<StDataset> {
  const { onProgress, signal, paths, createWorker, hdf5CopyBelowBytes, ...loadOpts } = opts;
  if (signal?.aborted) return Promise.reject(new DOMException('The ST load was cancelled.', 'AbortError'));
  return new Promise<StDataset>((resolve, reject) => {
    const reuse = !createWorker;
    const worker = (reuse ? takeIdleWorker() : null) ?? (createWorker ?? createStWorker)();
    let settled = false;
    const finish = (fn: () => void, healthy: boolean) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (healthy && reuse) keepIdle(worker);
      else worker.terminate();
      fn();
    };
    const onAbort = () => finish(() => reject(new DOMException('The ST load was cancelled.', 'AbortError')), false);
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.onmessage = (ev) => {
      const m = ev.data;
      if (m.type === 'progress') {
        if (!settled) onProgress?.(m.fraction, m.message);
      } else if (m.type === 'done') finish(() => resolve(m.dataset), true);
      else finish(() => reject(getErrorFromStWorker(m.error)), true);
    };
    worker.onerror = (ev) => {
      ev.preventDefault?.();
      finish(() => reject(new Error(`ST worker failed: ${ev.message || 'unknown error'}`)), false);
    };
    const request: StWorkerRequest = {
      type: 'load',
      files,
      paths: files.map((f, i) => paths?.[i] ?? (f as { webkitRelativePath?: string }).webkitRelativePath ?? ''),
      opts: loadOpts,
      hdf5CopyBelowBytes,
    };
    worker.postMessage(request);
  });
}
