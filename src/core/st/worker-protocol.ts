/**
 * Messages between the main thread (src/workers/st-client.ts) and the ST worker
 * (src/workers/st.worker.ts), and the worker-side handler. DOM-free apart from Blob/File, which
 * Node also has, so the handler is tested in Node.
 */
import { getBrowserStFiles } from './files/browser.ts';
import { loadStDataset } from './load.ts';
import { type LoadStOptions, StError, type StDataset } from './types.ts';

export type StWorkerOptions = Pick<LoadStOptions, 'targetFrame' | 'slideMpp' | 'includeOffTissue' | 'section' | 'hdBinUm'>;

export interface StWorkerRequest {
  type: 'load';
  files: (Blob & { name: string })[];
  /** relative paths inside a dropped folder ('' for lone files), one per file */
  paths: string[];
  opts: StWorkerOptions;
  /** HDF5 files at least this large are read in place (WORKERFS) instead of copied (default 64 MB) */
  hdf5CopyBelowBytes?: number;
}

export interface StWorkerError {
  name: string;
  message: string;
  file?: string;
  problem?: string;
  hint?: string;
}

export type StWorkerMessage =
  | { type: 'progress'; fraction: number; message: string }
  | { type: 'done'; dataset: StDataset }
  | { type: 'error'; error: StWorkerError };

/** Every ArrayBuffer the dataset's typed arrays use, once each (for postMessage's transfer list). */
export function getStDatasetTransferables(ds: StDataset): ArrayBuffer[] {
  const arrays: ArrayBufferView[] = [ds.matrix.indptr, ds.matrix.indices, ds.matrix.data, ds.spots.x, ds.spots.y, ds.spots.inTissue];
  for (const col of Object.values(ds.spots.annotations)) arrays.push(col.kind === 'numeric' ? col.values : col.codes);
  const out = new Set<ArrayBuffer>();
  for (const a of arrays) if (a.buffer instanceof ArrayBuffer && a.buffer.byteLength > 0) out.add(a.buffer);
  return [...out];
}

export function getStWorkerError(err: unknown): StWorkerError {
  if (err instanceof StError) return { name: 'StError', message: err.message, file: err.file, problem: err.problem, hint: err.hint };
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

/** Rebuild the Error a worker reported (StError keeps file / problem / hint; AbortError stays one). */
export function getErrorFromStWorker(e: StWorkerError): Error {
  if (e.name === 'StError') return new StError(e.file ?? '', e.problem ?? e.message, e.hint ?? '');
  if (e.name === 'AbortError') return new DOMException(e.message, 'AbortError');
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

/** The worker side: load, post progress (throttled to 1% steps) and the dataset with its buffers transferred. */
export async function runStWorkerLoad(req: StWorkerRequest, post: (msg: StWorkerMessage, transfer?: Transferable[]) => void): Promise<void> {
  let last = -1;
  try {
    const files = getBrowserStFiles(req.files, req.paths, req.hdf5CopyBelowBytes);
    const dataset = await loadStDataset(files, {
      ...req.opts,
      onProgress: (fraction, message) => {
        const step = Math.floor(fraction * 100);
        if (step === last) return;
        last = step;
        post({ type: 'progress', fraction, message });
      },
    });
    post({ type: 'done', dataset }, getStDatasetTransferables(dataset));
  } catch (err) {
    post({ type: 'error', error: getStWorkerError(err) });
  }
}
