/**
 * Main-thread client of the inference worker (inference.worker.ts). One worker per app; calls are
 * promise-based and abortable; streamed results (spot batches, heatmap windows, progress) arrive
 * through callbacks. Slide regions the worker asks for are read through the viewer's SlideHandle.
 */
import type { GroupMarkers } from '../core/st/markers.ts';
import type { RgbaImage } from '../core/slide/types.ts';
import type {
  GeneCoverage,
  InferenceBackend,
  InferenceEvent,
  InferenceRequest,
  ModelInfo,
  ModelSource,
  RasterGeometry,
  SpotDetail,
  SpotRunTimings,
  StInfo,
  StSource,
} from './inference-protocol.ts';
import type { SlideHandle } from './slide-client.ts';

type Pending = {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onEvent?: (ev: InferenceEvent) => void;
};

export interface SpotRunCallbacks {
  onStarted?(info: { coverage: GeneCoverage; warnings: string[]; mpp: number | null; mppDetail: string }): void;
  onBatch?(b: { spots: Int32Array; histology: Float32Array; gene: Float32Array; fused: Float32Array }): void;
  onProgress?(p: { stage: string; done: number; total: number }): void;
}

export interface HeatmapRunCallbacks {
  onPlan?(plan: { raster: RasterGeometry; cells: Int32Array; tissueAreaPx2: number; tissue: { width: number; height: number; cellPx: number; mask: Uint8Array }; stainProblem: string | null }): void;
  /** final: averaged over every view; false for an upright preview that a later batch refines */
  onBatch?(cells: Int32Array, probs: Float32Array, final: boolean): void;
  onProgress?(p: { stage: string; done: number; total: number }): void;
}

function abortError(): DOMException {
  return new DOMException('The operation was aborted.', 'AbortError');
}

export class InferenceClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private slide: SlideHandle | null = null;
  private dead: Error | null = null;
  /** called when the worker gave up WebGPU (device lost) and continues on WASM */
  onBackendLost: ((reason: string, backend: InferenceBackend) => void) | null = null;

  constructor() {
    this.worker = new Worker(new URL('./inference.worker.ts', import.meta.url), { type: 'module', name: 'inference' });
    this.worker.onmessage = (ev: MessageEvent<InferenceEvent>) => this.receive(ev.data);
    this.worker.onerror = (ev: ErrorEvent) => {
      ev.preventDefault();
      this.dead = new Error(`inference worker failed: ${ev.message || 'unknown error'}`);
      for (const p of this.pending.values()) p.reject(this.dead);
      this.pending.clear();
    };
  }

  private receive(ev: InferenceEvent): void {
    if (ev.type === 'readRegion') {
      void this.answerRegion(ev);
      return;
    }
    if (ev.type === 'readRegions') {
      this.readBatches.set(ev.batch, { level: ev.level, regions: ev.regions, next: 0, inFlight: 0, concurrency: Math.max(1, ev.concurrency) });
      this.pumpReads(ev.batch);
      return;
    }
    if (ev.type === 'cancelReadRegions') {
      this.readBatches.delete(ev.batch);
      return;
    }
    if (ev.type === 'backendLost') {
      this.onBackendLost?.(ev.reason, ev.backend);
      return;
    }
    const p = this.pending.get(ev.id);
    if (!p) return;
    if (ev.type === 'reply') {
      this.pending.delete(ev.id);
      if (ev.ok) p.resolve(ev.value);
      else {
        if (ev.name === 'AbortError') p.reject(abortError() as unknown as Error);
        else {
          const e = new Error(ev.message);
          e.name = ev.name;
          p.reject(e);
        }
      }
      return;
    }
    p.onEvent?.(ev);
  }

  /** queued region reads of the worker's prefetches (readRegions), by batch */
  private readonly readBatches = new Map<number, { level: number; regions: { id: number; x: number; y: number; width: number; height: number }[]; next: number; inFlight: number; concurrency: number }>();

  private pumpReads(batch: number): void {
    const b = this.readBatches.get(batch);
    if (!b) return;
    while (b.inFlight < b.concurrency && b.next < b.regions.length) {
      const r = b.regions[b.next++];
      b.inFlight++;
      void this.answerRegion({ type: 'readRegion', id: r.id, level: b.level, x: r.x, y: r.y, width: r.width, height: r.height }).finally(() => {
        b.inFlight--;
        if (b.next >= b.regions.length && b.inFlight === 0) this.readBatches.delete(batch);
        else this.pumpReads(batch);
      });
    }
  }

  private async answerRegion(ev: Extract<InferenceEvent, { type: 'readRegion' }>): Promise<void> {
    try {
      if (!this.slide) throw new Error('no slide is open');
      const slide = this.slide;
      let img: RgbaImage;
      try {
        img = await slide.readRegion(ev.level, ev.x, ev.y, ev.width, ev.height);
      } catch (first) {
        // a read can fail transiently (a short HTTP range answer under load): try once more
        if (slide !== this.slide || (first instanceof Error && first.name === 'AbortError')) throw first;
        await new Promise((r) => setTimeout(r, 100));
        img = await slide.readRegion(ev.level, ev.x, ev.y, ev.width, ev.height);
      }
      const buffer = img.data.buffer as ArrayBuffer;
      this.worker.postMessage({ type: 'region', id: ev.id, ok: true, width: img.width, height: img.height, buffer } satisfies InferenceRequest, [buffer]);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      this.worker.postMessage({ type: 'region', id: ev.id, ok: false, name: err.name, message: err.message } satisfies InferenceRequest);
    }
  }

  /**
   * Requests reach the worker in call order, so a caller need not wait for one answer before
   * sending the next (setSlide, setSt and scoreSpots go out together); a request may first wait
   * for what it carries (setSlide: the slide workers' ports), and later ones wait behind it.
   */
  private ordered: Promise<void> = Promise.resolve();

  private postInOrder(make: () => Promise<[InferenceRequest, Transferable[]]> | [InferenceRequest, Transferable[]], onError?: (e: Error) => void): void {
    this.ordered = this.ordered.then(async () => {
      try {
        const [msg, transfer] = await make();
        this.worker.postMessage(msg, transfer);
      } catch (e) {
        onError?.(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  private request<T>(msg: InferenceRequest, opts: { signal?: AbortSignal; onEvent?: (ev: InferenceEvent) => void; prepare?: () => Promise<Transferable[]> } = {}): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(abortError());
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => this.postInOrder(() => [{ type: 'cancel', id: 0, target: msg.id } satisfies InferenceRequest, []]);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(msg.id, {
        resolve: (v) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(v as T);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
        onEvent: opts.onEvent,
      });
      const { prepare } = opts;
      this.postInOrder(
        () => (prepare ? prepare().then((transfer): [InferenceRequest, Transferable[]] => [msg, transfer]) : [msg, []]),
        (e) => {
          if (!this.pending.has(msg.id)) return;
          this.pending.delete(msg.id);
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }

  private id(): number {
    return this.nextId++;
  }

  init(backend: InferenceBackend | 'auto', threads: number): Promise<{ webgpu: boolean; hardwareGpu: boolean; backend: InferenceBackend; isolated: boolean }> {
    return this.request({ type: 'init', id: this.id(), backend, threads });
  }

  loadModel(source: ModelSource): Promise<ModelInfo> {
    return this.request({ type: 'loadModel', id: this.id(), source });
  }

  setBackend(backend: InferenceBackend): Promise<ModelInfo | null> {
    return this.request({ type: 'setBackend', id: this.id(), backend });
  }

  /** The slide the spot positions refer to (regions are read through this handle), or null. */
  setSlide(handle: SlideHandle | null): Promise<void> {
    this.slide = handle;
    const msg: Extract<InferenceRequest, { type: 'setSlide' }> = { type: 'setSlide', id: this.id(), meta: handle ? handle.meta : null };
    return this.request(msg, {
      // regions straight from the slide workers where it can (slide-port.ts), else through this thread
      prepare: async () => {
        const ports = handle ? await handle.connectReaders().catch(() => []) : [];
        msg.ports = ports;
        return ports;
      },
    });
  }

  setSt(source: StSource | null, options: { slideMpp?: number | null; section?: string } = {}, signal?: AbortSignal): Promise<StInfo | null> {
    return this.request({ type: 'setSt', id: this.id(), source, options }, { signal });
  }

  scoreSpots(
    args: { mpp: number | null; order: Int32Array; batchSize?: number; orientations?: number | null; signal?: AbortSignal } & SpotRunCallbacks,
  ): Promise<{ done: number; backend: InferenceBackend; timings: SpotRunTimings }> {
    return this.request(
      { type: 'scoreSpots', id: this.id(), mpp: args.mpp, order: args.order, batchSize: args.batchSize ?? 32, orientations: args.orientations ?? null },
      {
        signal: args.signal,
        onEvent: (ev) => {
          if (ev.type === 'spotsStarted') args.onStarted?.(ev);
          else if (ev.type === 'spotBatch') args.onBatch?.(ev);
          else if (ev.type === 'progress') args.onProgress?.(ev);
        },
      },
    );
  }

  heatmap(args: { mpp: number; priority: { x0: number; y0: number; x1: number; y1: number } | null; batchSize?: number; orientations?: number | null; signal?: AbortSignal } & HeatmapRunCallbacks): Promise<{ done: number; total: number; backend: InferenceBackend }> {
    return this.request(
      { type: 'heatmap', id: this.id(), mpp: args.mpp, priority: args.priority, batchSize: args.batchSize ?? 32, orientations: args.orientations ?? null },
      {
        signal: args.signal,
        onEvent: (ev) => {
          if (ev.type === 'heatmapPlan') args.onPlan?.(ev);
          else if (ev.type === 'heatmapBatch') args.onBatch?.(ev.cells, ev.probs, ev.final);
          else if (ev.type === 'progress') args.onProgress?.(ev);
        },
      },
    );
  }

  spotDetail(spot: number, topGenes: number, mpp: number | null): Promise<SpotDetail> {
    return this.request({ type: 'spotDetail', id: this.id(), spot, topGenes, mpp });
  }

  /** Marker genes of a group of spots against the other listed spots, computed in the worker. */
  markers(spots: Int32Array, group: Uint8Array, top: number): Promise<GroupMarkers> {
    return this.request({ type: 'markers', id: this.id(), spots, group, top });
  }

  /** Test hook: destroy the worker's WebGPU device (exercises the WASM fallback). */
  debugLoseGpu(): void {
    this.worker.postMessage({ type: 'debugLoseGpu', id: 0 } satisfies InferenceRequest);
  }

  terminate(): void {
    this.dead = new Error('the inference worker was closed');
    for (const p of this.pending.values()) p.reject(this.dead);
    this.pending.clear();
    this.worker.terminate();
  }
}
