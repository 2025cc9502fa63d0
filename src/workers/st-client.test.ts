/**
 * The worker client and the worker-side handler, with the worker simulated in-process: messages go
 * through structuredClone with the transfer list, as postMessage does. Files are Node's File
 * objects read through the browser StFile adapter (h5wasm in-memory FS; WORKERFS needs a real
 * browser worker).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNodeStFiles } from '../core/st/files/node.ts';
import { loadStDataset } from '../core/st/load.ts';
import { StError } from '../core/st/types.ts';
import { runStWorkerLoad, type StWorkerMessage, type StWorkerRequest } from '../core/st/worker-protocol.ts';
import { IDLE_MS, loadStInWorker, prewarmStWorker, type StWorkerLike } from './st-client.ts';

const FX = resolve(__dirname, '../../tests/fixtures/st');

function fakeWorker(log: { terminated: boolean; transferred: number }): StWorkerLike {
  const w: StWorkerLike = {
    onmessage: null,
    onerror: null,
    postMessage(req: StWorkerRequest) {
      setTimeout(() => {
        // browsers clone File objects with their names; Node's structuredClone does not, so pass them through
        const cloned = { ...structuredClone({ ...req, files: [] }), files: req.files };
        void runStWorkerLoad(cloned, (msg, transfer) => {
          if (log.terminated) return;
          log.transferred += transfer?.length ?? 0;
          const data = structuredClone(msg, { transfer: (transfer ?? []) as Transferable[] }) as StWorkerMessage;
          w.onmessage?.({ data } as MessageEvent<StWorkerMessage>);
        });
      }, 0);
    },
    terminate() {
      log.terminated = true;
    },
  };
  return w;
}

function file(rel: string): File {
  return new File([readFileSync(`${FX}/${rel}`)], rel.split('/').pop()!);
}

describe('loadStInWorker', () => {
  it('loads dropped files with relative paths, reports progress, transfers the typed arrays', async () => {
    const rels = ['visium_sr3/filtered_feature_bc_matrix.h5', 'visium_sr3/spatial/tissue_positions.csv', 'visium_sr3/spatial/scalefactors_json.json'];
    const log = { terminated: false, transferred: 0 };
    const progress: number[] = [];
    const ds = await loadStInWorker(rels.map(file), {
      paths: rels,
      targetFrame: 'hires',
      onProgress: (f) => progress.push(f),
      createWorker: () => fakeWorker(log),
    });
    const ref = await loadStDataset(await loadNodeStFiles([`${FX}/visium_sr3`]), { targetFrame: 'hires' });
    expect(ds.spots.ids).toEqual(ref.spots.ids);
    expect(ds.spots.x).toEqual(ref.spots.x);
    expect(ds.matrix.indices).toEqual(ref.matrix.indices);
    expect(ds.matrix.data).toEqual(ref.matrix.data);
    expect(ds.matrix.data).toBeInstanceOf(Float32Array);
    expect(ds.frame).toEqual({ name: 'hires', scale: 0.08250825 });
    expect(ds.files.map((f) => f.name)).toEqual(['visium_sr3/filtered_feature_bc_matrix.h5', 'visium_sr3/spatial/tissue_positions.csv', 'visium_sr3/spatial/scalefactors_json.json']);
    expect(log.transferred).toBeGreaterThanOrEqual(6);
    expect(log.terminated).toBe(true);
    expect(progress.length).toBeGreaterThan(2);
    expect(progress[progress.length - 1]).toBe(1);
  });

  it('rejects with the StError of bad input (file, problem, hint kept)', async () => {
    const log = { terminated: false, transferred: 0 };
    const err = await loadStInWorker([file('bad/not_st.h5')], { createWorker: () => fakeWorker(log) }).catch((e) => e);
    expect(err).toBeInstanceOf(StError);
    expect((err as StError).file).toBe('not_st.h5');
    expect((err as StError).problem).toMatch(/neither a 10x feature-barcode matrix/);
    expect(log.terminated).toBe(true);
  });

  it('cancels: rejects with AbortError and terminates the worker', async () => {
    const log = { terminated: false, transferred: 0 };
    const ac = new AbortController();
    const p = loadStInWorker([file('anndata/anndata08_csr.h5ad')], { signal: ac.signal, createWorker: () => fakeWorker(log) });
    ac.abort();
    const err = await p.catch((e) => e);
    expect((err as Error).name).toBe('AbortError');
    expect(log.terminated).toBe(true);
  });
});

describe('worker reuse', () => {
  it('keeps one finished worker for the next load, replaces it after a cancel, and prewarms', async () => {
    const created: { terminated: boolean; transferred: number }[] = [];
    const warmed: string[] = [];
    class FakeWorker {
      constructor() {
        const log = { terminated: false, transferred: 0 };
        created.push(log);
        const w = fakeWorker(log);
        const post = w.postMessage.bind(w);
        w.postMessage = (msg) => {
          if ((msg as { type: string }).type === 'warm') warmed.push('warm');
          else post(msg as StWorkerRequest);
        };
        // biome-ignore lint/correctness/noConstructorReturn: a stand-in for the browser's Worker
        return w as unknown as FakeWorker;
      }
    }
    const g = globalThis as { Worker?: unknown };
    const saved = g.Worker;
    g.Worker = FakeWorker;
    try {
      prewarmStWorker();
      expect(created.length).toBe(1);
      expect(warmed).toEqual(['warm']);
      const a = await loadStInWorker([file('anndata/anndata08_csr.h5ad')]);
      const b = await loadStInWorker([file('csv/wide.csv.gz')]);
      expect([a.spots.ids.length, b.spots.ids.length]).toEqual([300, 300]);
      expect(created.length).toBe(1);
      expect(created[0].terminated).toBe(false);
      const ac = new AbortController();
      const p = loadStInWorker([file('anndata/anndata08_csr.h5ad')], { signal: ac.signal });
      ac.abort();
      await expect(p).rejects.toThrow(/cancelled/);
      expect(created[0].terminated).toBe(true);
      await loadStInWorker([file('csv/wide.csv.gz')]);
      expect(created.length).toBe(2);
      expect(IDLE_MS).toBeGreaterThan(0);
    } finally {
      g.Worker = saved;
    }
  });
});
