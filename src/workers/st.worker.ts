/// <reference lib="webworker" />
/**
 * ST parse worker: one load per worker (the client terminates it when done or cancelled, which
 * also frees h5wasm's memory). HDF5 files are mounted with WORKERFS, so a large .h5 is read in
 * slices from the dropped File instead of being copied into memory.
 */
import { runStWorkerLoad, type StWorkerRequest } from '../core/st/worker-protocol.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = (ev: MessageEvent<StWorkerRequest>) => {
  if (ev.data?.type !== 'load') return;
  void runStWorkerLoad(ev.data, (msg, transfer) => scope.postMessage(msg, transfer ?? []));
};
