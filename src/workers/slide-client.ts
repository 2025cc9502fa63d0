/**
 * Main-thread client of the slide workers: `loadSlideInWorkers(input)` opens a slide in a small
 * pool of workers (2-4; one for formats that hold a whole decoded image in memory: plain images
 * and NDPI) and returns a `SlideHandle`. Every call is abortable with an AbortSignal; a failed
 * call rejects with an Error whose message is the user-facing SlideError text.
 */
import type { RgbaImage, SlideMetadata } from '../core/slide/types.ts';
import type { SlideWorkerRequest, SlideWorkerResponse } from './slide-protocol.ts';

export interface SlideHandle {
  meta: SlideMetadata;
  /** One tile of the level's grid (meta.levels[level].tileWidth x tileHeight, cropped at the edges). */
  getTile(level: number, col: number, row: number, signal?: AbortSignal): Promise<ImageBitmap>;
  /** openslide read_region: x, y in level-0 pixels; width, height in level pixels; transparent outside. */
  readRegion(level: number, x: number, y: number, w: number, h: number, signal?: AbortSignal): Promise<RgbaImage>;
  readAssociated(name: string): Promise<RgbaImage>;
  /**
   * Ports straight to this slide's workers (one per worker that opened it) for another worker to read
   * regions from without the main thread relaying them (slide-port.ts createPortReader).
   */
  connectReaders(): Promise<MessagePort[]>;
  close(): void;
}

export interface LoadSlideInWorkersOptions {
  /** um per level-0 pixel chosen by the user (overrides the file; meta.mppSource 'user'). */
  mpp?: number;
  /** Number of workers (default: 1 for plain images and NDPI, else 2-4 by hardwareConcurrency). */
  workers?: number;
  /** Decoded-tile cache bound per worker, bytes (default 256 MiB). */
  cacheBytes?: number;
  /** Aborts the open (the worker stops, e.g. while it indexes a big JPEG). */
  signal?: AbortSignal;
  /** Long opening work reports here (stage, fraction done). */
  onProgress?: (stage: string, fraction: number) => void;
}

type Pending = { resolve: (r: SlideWorkerResponse) => void; reject: (e: Error) => void };

function abortError(): DOMException {
  return new DOMException('The operation was aborted.', 'AbortError');
}

/** How long connectReaders waits for the pool's other workers to open the slide. */
const CONNECT_WAIT_MS = 2000;

/**
 * Formats whose source keeps a whole decoded image in memory: one worker only. So do slides with
 * synthetic levels (their overview is built in one pass over the image, which each worker would
 * repeat).
 */
const SINGLE_WORKER_FORMATS = new Set(['image', 'ndpi']);
const isSingleWorker = (meta: SlideMetadata) => SINGLE_WORKER_FORMATS.has(meta.format) || meta.properties['fusescope.synthetic-levels'] !== undefined;

class WorkerConnection {
  readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private static nextId = 1;
  busy = 0;
  ready = false;
  /** progress listeners of the requests that have one, by id */
  private readonly progress = new Map<number, (stage: string, fraction: number) => void>();
  private dead: Error | null = null;

  constructor() {
    this.worker = new Worker(new URL('./slide.worker.ts', import.meta.url), { type: 'module', name: 'slide' });
    this.worker.onmessage = (ev: MessageEvent<SlideWorkerResponse>) => {
      if (ev.data.ok && ev.data.kind === 'progress') {
        this.progress.get(ev.data.id)?.(ev.data.stage, ev.data.fraction);
        return;
      }
      const p = this.pending.get(ev.data.id);
      if (!p) {
        // answer to an aborted request: free what it carries
        if (ev.data.ok && ev.data.kind === 'bitmap') ev.data.bitmap.close();
        return;
      }
      this.pending.delete(ev.data.id);
      p.resolve(ev.data);
    };
    this.worker.onerror = (ev: ErrorEvent) => {
      ev.preventDefault();
      this.dead = new Error(`slide worker failed: ${ev.message || 'unknown error'}`);
      for (const p of this.pending.values()) p.reject(this.dead);
      this.pending.clear();
    };
  }

  request(msg: SlideWorkerRequest & { id?: number }, signal?: AbortSignal, onProgress?: (stage: string, fraction: number) => void): Promise<SlideWorkerResponse> {
    if (this.dead) return Promise.reject(this.dead);
    if (signal?.aborted) return Promise.reject(abortError());
    const id = WorkerConnection.nextId++;
    if (onProgress) this.progress.set(id, onProgress);
    const full = { ...msg, id } as SlideWorkerRequest;
    this.busy++;
    return new Promise<SlideWorkerResponse>((resolve, reject) => {
      const onAbort = () => {
        if (!this.pending.has(id)) return;
        this.pending.delete(id);
        this.worker.postMessage({ type: 'abort', id } satisfies SlideWorkerRequest);
        reject(abortError());
      };
      this.pending.set(id, {
        resolve: (r) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(r);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.worker.postMessage(full);
    }).finally(() => {
      this.busy--;
      this.progress.delete(id);
    });
  }

  terminate(): void {
    this.dead = new Error('the slide was closed');
    for (const p of this.pending.values()) p.reject(this.dead);
    this.pending.clear();
    this.worker.terminate();
  }
}

/**
 * A started slide worker with nothing open, for the next open: starting one costs its module load
 * (0.3-0.9 s in the dev server on a loaded 2-core machine), which otherwise delays every open.
 */
let spare: WorkerConnection | null = null;

/** Start a slide worker now, so the next open does not wait for it. */
export function prewarmSlideWorker(): void {
  if (!spare && typeof Worker !== 'undefined') spare = new WorkerConnection();
}

function takeWorker(): WorkerConnection {
  const c = spare ?? new WorkerConnection();
  spare = null;
  return c;
}

function unwrap(r: SlideWorkerResponse): Exclude<SlideWorkerResponse, { ok: false }> {
  if (!r.ok) {
    if (r.name === 'AbortError') throw abortError();
    throw new Error(r.message);
  }
  return r;
}

function toRgba(r: SlideWorkerResponse): RgbaImage {
  const ok = unwrap(r);
  if (ok.kind !== 'rgba') throw new Error(`unexpected worker answer ${ok.kind}`);
  return { width: ok.width, height: ok.height, data: new Uint8ClampedArray(ok.buffer) };
}

/** A User Timing mark (`fusescope:<what>`) for the benchmark's timeline (bench/infer.ts --marks). */
function mark(what: string): void {
  if (typeof performance !== 'undefined' && typeof performance.mark === 'function') performance.mark(`fusescope:${what}`);
}

export async function loadSlideInWorkers(
  input: File | File[] | string /* URL */,
  opts: LoadSlideInWorkersOptions = {},
): Promise<SlideHandle> {
  // a relative URL must resolve against the page, not the worker script
  const target = typeof input === 'string' && typeof location !== 'undefined' ? new URL(input, location.href).href : input;
  const open = (c: WorkerConnection, first = false) =>
    c.request({ type: 'open', id: 0, input: target, mpp: opts.mpp, cacheBytes: opts.cacheBytes }, first ? opts.signal : undefined, first ? opts.onProgress : undefined);
  const first = takeWorker();
  let meta: SlideMetadata;
  mark('slide-open');
  try {
    const r = unwrap(await open(first, true));
    mark('slide-meta');
    if (r.kind !== 'meta') throw new Error(`unexpected worker answer ${r.kind}`);
    meta = r.meta;
  } catch (e) {
    first.terminate();
    throw e;
  } finally {
    // a spare for the next open, once this one's work has had the CPU
    setTimeout(prewarmSlideWorker, 5000);
  }
  first.ready = true;
  const pool: WorkerConnection[] = [first];
  const hw = typeof navigator !== 'undefined' && navigator.hardwareConcurrency ? navigator.hardwareConcurrency : 2;
  const wanted = isSingleWorker(meta) ? 1 : Math.max(1, Math.min(4, opts.workers ?? Math.max(2, Math.min(4, hw - 1))));
  const opening: Promise<void>[] = [];
  for (let i = 1; i < wanted; i++) {
    const c = takeWorker();
    pool.push(c);
    opening.push(
      open(c).then(
        (r) => {
          if (r.ok) c.ready = true;
          else c.terminate();
        },
        () => c.terminate(),
      ),
    );
  }
  const allOpened = Promise.all(opening);
  const pick = (): WorkerConnection => {
    let best = first;
    for (const c of pool) if (c.ready && c.busy < best.busy) best = c;
    return best;
  };
  let closed = false;
  const check = () => {
    if (closed) throw new Error(`${meta.name}: the slide was closed.`);
  };
  return {
    meta,
    async getTile(level, col, row, signal) {
      check();
      const r = unwrap(await pick().request({ type: 'tile', id: 0, level, col, row }, signal));
      if (r.kind !== 'bitmap') throw new Error(`unexpected worker answer ${r.kind}`);
      return r.bitmap;
    },
    async readRegion(level, x, y, width, height, signal) {
      check();
      return toRgba(await pick().request({ type: 'region', id: 0, level, x, y, width, height }, signal));
    },
    async readAssociated(name) {
      check();
      return toRgba(await pick().request({ type: 'associated', id: 0, name }));
    },
    async connectReaders() {
      // every worker of the pool that opens the slide (the others are still opening it now), but
      // not waiting long for one that is slow: requests queue behind this (inference-client.ts)
      await Promise.race([allOpened, new Promise((r) => setTimeout(r, CONNECT_WAIT_MS))]);
      check();
      return pool
        .filter((c) => c.ready)
        .map((c) => {
          const { port1, port2 } = new MessageChannel();
          c.worker.postMessage({ type: 'port', id: 0, port: port1 } satisfies SlideWorkerRequest, [port1]);
          return port2;
        });
    },
    close() {
      if (closed) return;
      closed = true;
      for (const c of pool) c.terminate();
    },
  };
}
