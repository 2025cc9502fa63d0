/// <reference lib="webworker" />
/**
 * ST parse worker: loads one dataset per request (the client keeps one idle worker for the next
 * load and terminates it when a load is cancelled, which also frees h5wasm's memory). Large HDF5
 * files are mounted with WORKERFS, so they are read in slices from the dropped File instead of
 * being copied into memory. `{type: 'warm'}` only starts h5wasm.
 */
import { runStWorkerLoad, type StWorkerRequest } from '../core/st/worker-protocol.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = (ev: MessageEvent<StWorkerRequest | { type: 'warm' }>) => {
  if (ev.data?.type === 'warm') {
    void import('h5wasm').then((m) => m.default.ready);
    return;
  }
  if (ev.data?.type !== 'load') return;
  void runStWorkerLoad(ev.data, (msg, transfer) => scope.postMessage(msg, transfer ?? []));
};
