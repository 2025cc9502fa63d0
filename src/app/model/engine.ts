/**
 * The in-browser inference engine: one inference worker, the model package (the bundled default
 * or a dropped folder), the ST data the spots come from and the open slide (read through the
 * viewer's SlideHandle). Runs are serialised: spot scores first (visible spots first), then the
 * dense histology-only heatmap (viewport first). A new slide, ST set, model or backend cancels the
 * current run and schedules a fresh one. `whenIdle()` resolves when every requested score is in.
 */
import { ASSUMED_MPP } from '../../core/model/mpp';
import { getStInfo, type InferenceBackend, type ModelInfo, type ModelSource, type StInfo, type StSource } from '../../workers/inference-protocol';
import { InferenceClient } from '../../workers/inference-client';
import { isBlankSlide } from '../../core/slide/blank/blank-slide';
import type { SlideHandle } from '../../workers/slide-client';
import { useSlideStore } from '../stores/slideStore';
import { isSoftwareWebGL } from '../viewer/viewerDrawer';
import { useViewerStore } from '../stores/viewerStore';
import { type SpotScoreArrays, useModelStore } from './modelStore';
import { getThreshold } from './scoreField';
import { loadCachedHeatmap, loadCachedScores, type ResultKey, saveCachedHeatmap, saveCachedScores } from './resultCache';

let client: InferenceClient | null = null;
let initPromise: Promise<void> | null = null;
let slideHandle: SlideHandle | null = null;
/** the open slide's result-cache key (computed beside the first run, not before it) */
let slideKey: Promise<string | null> = Promise.resolve(null);
let stKey: string | null = null;
let running: AbortController | null = null;
let queue: Promise<void> = Promise.resolve();
let generation = 0;
let pendingTasks = 0;
/** cases being opened that bring ST data (see expectSt) */
let stExpected = 0;
let idleWaiters: (() => void)[] = [];

function getClient(): InferenceClient {
  if (client) return client;
  client = new InferenceClient();
  client.onBackendLost = (reason, backend) => {
    useModelStore.getState().set({ backend, backendNote: `WebGPU was lost (${reason}); continued on WASM without losing results.` });
  };
  return client;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isAbort(err: unknown): boolean {
  return (err instanceof DOMException || err instanceof Error) && err.name === 'AbortError';
}

function taskStarted(): void {
  pendingTasks++;
}

/**
 * Count an opening case (the demo, a URL case, `load()`) as pending work until the returned function
 * is called, so `whenIdle()` asked before its files arrive waits for its scores instead of finding
 * nothing to wait for.
 */
export function holdIdle(): () => void {
  taskStarted();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    // after the follow-ups the opening triggers (expectSt's release schedules in a timeout)
    setTimeout(taskEnded, 0);
  };
}

function taskEnded(): void {
  pendingTasks = Math.max(0, pendingTasks - 1);
  if (pendingTasks === 0) {
    const w = idleWaiters;
    idleWaiters = [];
    for (const fn of w) fn();
  }
}

/** Resolves when no model load, ST load or scoring run is pending. */
export function whenIdle(): Promise<void> {
  if (pendingTasks === 0) return Promise.resolve();
  return new Promise((resolve) => idleWaiters.push(resolve));
}

/** Run `fn` after everything queued before it (the worker runs one job at a time). */
function enqueue(fn: () => Promise<void>): Promise<void> {
  taskStarted();
  const p = queue.then(fn).finally(taskEnded);
  queue = p.catch(() => {});
  return p;
}

/** Choose the backend: WebGPU when the worker gets an adapter (and the user did not pick WASM). */
export function initEngine(preferred?: InferenceBackend): Promise<void> {
  if (initPromise) return initPromise;
  const wanted: InferenceBackend | 'auto' = preferred ?? getBackendParam() ?? 'auto';
  const isolated = typeof crossOriginIsolated !== 'undefined' && crossOriginIsolated;
  // cores - 1 WASM threads (one core for the page: the viewer draws, the slide worker cuts the
  // patches' pixels), but 2 on a 2-core machine: since the page draws far less during a spot run
  // (throttled streaming, no relayed reads), 2 threads gave B4's fused map in 2.31 s against 2.46 s
  // idle and 3.80 vs 3.72 s beside a busy process (bench/infer.ts --variant threads=N; 1 thread had
  // been faster under load while every batch redrew the overlay)
  const hw = navigator.hardwareConcurrency || 2;
  const threads = isolated ? (getThreadsParam() ?? Math.min(hw, 4, Math.max(2, hw - 1))) : 1;
  taskStarted();
  initPromise = getClient()
    .init(wanted, threads)
    .then((r) => {
      useModelStore.getState().set({
        webgpuAvailable: r.webgpu,
        isolated: r.isolated,
        threads,
        backend: r.backend,
        backendNote: r.webgpu && !r.hardwareGpu && r.backend === 'wasm' ? 'Only a software WebGPU adapter is available: WASM is faster here (you can still pick WebGPU).' : null,
      });
    })
    .finally(taskEnded);
  return initPromise;
}

/** `?threads=N` sets the WASM threads (default: min(4, cores - 1) when cross-origin isolated). */
function getThreadsParam(): number | null {
  if (typeof location === 'undefined') return null;
  const n = Number(new URLSearchParams(location.search).get('threads'));
  return Number.isInteger(n) && n >= 1 && n <= 16 ? n : null;
}

/**
 * Spots or heatmap windows per inference batch. WASM: 32 (its time per patch is flat from 32 up, and
 * smaller batches stream results sooner). WebGPU: 128. On an H200 through Dawn (bench/webgpu-node.ts),
 * a batch of 128 took 12 ms against 8 ms for 32 (2.7x the patches per second); B4's dense heatmap
 * took 7.2 s against 11.5 s, its final spot scores 1.7 s against 2.1 s. `?batch=N` overrides it.
 */
function getBatchSize(): number {
  const n = typeof location === 'undefined' ? Number.NaN : Number(new URLSearchParams(location.search).get('batch'));
  if (Number.isInteger(n) && n >= 1 && n <= 1024) return n;
  return useModelStore.getState().backend === 'webgpu' ? 128 : 32;
}

/** `?orientations=1|2|4|8`: histology views averaged per patch (default: the model's; 1 is quickest). */
function getOrientationsParam(): 1 | 2 | 4 | 8 | null {
  if (typeof location === 'undefined') return null;
  const n = Number(new URLSearchParams(location.search).get('orientations'));
  return n === 1 || n === 2 || n === 4 || n === 8 ? n : null;
}

/** The result-cache key's model part: the package's sha256s (ONNX files and manifest), and the views when the URL overrides them. */
function getModelCacheKey(model: ModelInfo): string {
  const views = getOrientationsParam();
  return views ? `${model.sha}|views${views}` : model.sha;
}

/** `?backend=wasm|webgpu` picks the backend at start (default: automatic). */
function getBackendParam(): InferenceBackend | null {
  if (typeof location === 'undefined') return null;
  const b = new URLSearchParams(location.search).get('backend');
  return b === 'wasm' || b === 'webgpu' ? b : null;
}

/** URLs of the bundled default package (models/default), served from the app's own origin. */
export function getDefaultModelSource(): ModelSource | null {
  const found = import.meta.glob('../../../models/default/*.{json,onnx}', { query: '?url', import: 'default', eager: true }) as Record<string, string>;
  const urls: Record<string, string> = {};
  for (const [path, url] of Object.entries(found)) urls[path.split('/').pop() ?? path] = url;
  if (!urls['manifest.json']) return null;
  return { kind: 'urls', name: 'models/default', urls };
}

/** Load a model package (default: the bundled one); the current scores are recomputed with it. */
export function loadModel(source?: ModelSource | null): Promise<void> {
  const src = source ?? getDefaultModelSource();
  cancelRun();
  return enqueue(async () => {
    try {
      await initEngine();
    } catch (err) {
      useModelStore.getState().set({ modelError: `The inference worker did not start: ${message(err)}` });
      return;
    }
    const store = useModelStore.getState();
    if (!src) {
      store.set({ modelError: 'models/default: the default model package is not in this build (no manifest.json). Run `npm run models:train` or drop a model package folder.' });
      return;
    }
    cancelRun();
    store.set({ progress: { task: 'model', stage: `loading ${src.name}`, done: 0, total: 1 }, modelError: null });
    try {
      const info = await getClient().loadModel(src);
      useModelStore.getState().set({ model: info, backend: info.backend, progress: null });
    } catch (err) {
      useModelStore.getState().set({ modelError: message(err), progress: null });
      return;
    }
    schedule();
  });
}

/** A model package folder the user dropped or picked (files with paths relative to the folder). */
export function getDroppedModelSource(files: File[], paths?: string[]): ModelSource {
  const map: Record<string, Blob> = {};
  let name = 'dropped model';
  files.forEach((f, i) => {
    const rel = paths?.[i] || f.webkitRelativePath || f.name;
    const parts = rel.split('/');
    if (parts.length > 1) name = parts[0];
    map[parts.length > 1 ? parts.slice(1).join('/') : rel] = f;
  });
  return { kind: 'blobs', name, files: map };
}

export function setBackend(backend: InferenceBackend): Promise<void> {
  cancelRun();
  return enqueue(async () => {
    await initEngine(backend);
    cancelRun();
    const info = await getClient().setBackend(backend);
    useModelStore.getState().set({ backend: info?.backend ?? backend, backendNote: info && info.backend !== backend ? 'WebGPU is not available here; running on WASM.' : null });
    if (info) useModelStore.getState().set({ model: info });
    resetResults();
    schedule();
  });
}

function resetResults(): void {
  useModelStore.getState().set({ scores: null, heatmap: null, spotsDone: 0, spotsTotal: 0, spotsMs: null, spotsTimings: null, runError: null, coverage: null, warnings: [], heatmapNote: null });
}

/** A User Timing mark (`fusescope:<what>`): the benchmark reads the engine's timeline from these. */
function mark(what: string): void {
  if (typeof performance !== 'undefined' && typeof performance.mark === 'function') performance.mark(`fusescope:${what}`);
}

/** Describe an ST source for the result cache key. */
async function getStSourceKey(source: StSource): Promise<string> {
  if (source.kind === 'urls') return source.urls.join('|');
  if (source.kind === 'files') return source.files.map((f) => `${f.name}:${f.size}:${f.lastModified}`).join('|');
  const ds = source.dataset;
  return `dataset:${ds.files.map((f) => f.name).join('|')}:${ds.spots.ids.length}:${await getContentHash(ds)}`;
}

/**
 * SHA-256 (WebCrypto, off the JS thread's hot loop) over the spot positions (registration
 * included), the ids and the count matrix; arrays over 2 MB by their length and first / last 1 MB.
 */
async function getContentHash(ds: { spots: { ids: string[]; x: Float64Array; y: Float64Array }; matrix: { indices: Int32Array; data: Float32Array } }): Promise<string> {
  const MB = 1 << 20;
  const parts: Uint8Array[] = [];
  const add = (bytes: Uint8Array) => {
    if (bytes.length <= 2 * MB) parts.push(bytes);
    else parts.push(new Uint8Array(new Float64Array([bytes.length]).buffer), bytes.subarray(0, MB), bytes.subarray(bytes.length - MB));
  };
  const bytesOf = (a: Float64Array | Int32Array | Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  add(bytesOf(ds.spots.x));
  add(bytesOf(ds.spots.y));
  add(new TextEncoder().encode(ds.spots.ids.join(',')));
  add(bytesOf(ds.matrix.indices));
  add(bytesOf(ds.matrix.data));
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
  return Array.from(digest.subarray(0, 12), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The spatial-transcriptomics data to score (null: none). Loaded in the inference worker by the same core loader as the CLI. */
export function setInferenceSt(source: StSource | null, options: { section?: string } = {}): Promise<void> {
  cancelRun();
  generation++;
  return enqueue(async () => {
    await initEngine();
    cancelRun();
    resetResults();
    const store = useModelStore.getState();
    if (!source) {
      await getClient().setSt(null);
      stKey = null;
      store.set({ st: null, stError: null });
      schedule();
      return;
    }
    store.set({ progress: { task: 'st', stage: 'reading ST files', done: 0, total: 1 }, stError: null });
    mark('st-start');
    // look the scores up in the result cache while the worker loads the ST data
    const model = useModelStore.getState().model;
    const sourceKey = getStSourceKey(source);
    if (model) startCacheLookup(Promise.all([sourceKey, slideKey]).then(([st, slide]) => ({ slide: slide ?? 'none', st, model: getModelCacheKey(model), mpp: getUserMpp() })));
    try {
      const raw = useSlideStore.getState().handle?.meta.mpp ?? useSlideStore.getState().meta?.mpp ?? null;
      const sent = getClient().setSt(source, { slideMpp: raw, section: options.section });
      // a dataset parsed here needs no answer: its spot table is known, and the spot run can be
      // sent right behind it (the worker takes it after the ST data); files and URLs are parsed there
      let info: StInfo | null;
      if (source.kind === 'dataset') {
        sent.catch((err) => {
          if (!isAbort(err)) useModelStore.getState().set({ stError: message(err) });
        });
        info = getStInfo(source.dataset, raw);
      } else info = await sent;
      stKey = await sourceKey;
      useModelStore.getState().set({ st: info, progress: null });
      mark('st-ready');
    } catch (err) {
      stKey = null;
      useModelStore.getState().set({ st: null, stError: message(err), progress: null });
      return;
    }
    schedule();
  });
}

/**
 * The slide part of the result-cache key: name and size plus a sha256 of the pixels of the
 * coarsest level's first 256 x 256 region, so two different slides with the same name and size
 * never share cached scores (the files themselves may be too large to hash).
 */
async function getSlideKey(handle: SlideHandle): Promise<string> {
  const { meta } = handle;
  const level = meta.levels.length - 1;
  const { width, height } = meta.levels[level];
  const base = `${meta.name}|${meta.width}x${meta.height}|${meta.levels.length}`;
  try {
    const img = await handle.readRegion(level, 0, 0, Math.min(256, width), Math.min(256, height));
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(img.data)));
    return `${base}|${Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')}`;
  } catch {
    return base;
  }
}

/** Point the worker at the viewer's slide. */
function setSlide(handle: SlideHandle | null): Promise<void> {
  cancelRun();
  generation++;
  return enqueue(async () => {
    await initEngine();
    cancelRun();
    mark('slide-start');
    slideHandle = handle;
    // the key reads the slide: it is computed while the worker starts on the slide
    slideKey = handle ? getSlideKey(handle) : Promise.resolve(null);
    slideKey.catch(() => {});
    // not awaited: the client sends requests in order, so the ST data and the spot run can follow
    // at once instead of each waiting for an answer from the worker through a busy main thread
    getClient()
      .setSlide(handle)
      .catch((err) => {
        if (!isAbort(err)) useModelStore.getState().set({ runError: message(err) });
      });
    mark('slide-ready');
    resetResults();
    schedule();
  });
}

export function cancelRun(): void {
  running?.abort();
  running = null;
  useModelStore.getState().set({ progress: null });
}

/** The user's um/px (or the case's) when the slide file has none; the file's otherwise. */
function getUserMpp(): number | null {
  const meta = useSlideStore.getState().meta;
  if (!meta || meta.mpp == null) return null;
  return meta.mppSource === 'file' ? null : meta.mpp;
}

/** Visible area in level-0 px, or null. */
function getViewportRect(): { x0: number; y0: number; x1: number; y1: number } | null {
  const viewer = useViewerStore.getState().viewer;
  if (!viewer?.world.getItemAt(0)) return null;
  const r = viewer.viewport.viewportToImageRectangle(viewer.viewport.getBounds(true));
  return { x0: r.x, y0: r.y, x1: r.x + r.width, y1: r.y + r.height };
}

/** Every spot, the visible ones first (nearest the view centre first); scoreSpots keeps the in-tissue ones. */
function getVisibleFirstOrder(x: Float64Array, y: Float64Array): Int32Array {
  const rect = getViewportRect();
  const idx = Array.from({ length: x.length }, (_, i) => i);
  if (!rect) return Int32Array.from(idx);
  const cx = (rect.x0 + rect.x1) / 2;
  const cy = (rect.y0 + rect.y1) / 2;
  const inside = (i: number) => x[i] >= rect.x0 && x[i] <= rect.x1 && y[i] >= rect.y0 && y[i] <= rect.y1;
  idx.sort((a, b) => {
    const ia = inside(a) ? 0 : 1;
    const ib = inside(b) ? 0 : 1;
    if (ia !== ib) return ia - ib;
    return Math.hypot(x[a] - cx, y[a] - cy) - Math.hypot(x[b] - cx, y[b] - cy);
  });
  return Int32Array.from(idx);
}

/**
 * A case is being opened with ST data (slide first, then its spots): until the returned function
 * is called, a slide alone does not start the dense heatmap, so the spot scores (what the user
 * opened the case for) do not wait behind a tissue mask and heatmap windows that would be
 * cancelled when the ST data arrives.
 */
export function expectSt(): () => void {
  stExpected++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    stExpected--;
    // after the ST store's own follow-up, so a heatmap run is not started only to be cancelled by
    // it; not while a run goes on: it checks for the dense heatmap itself once its spots are done
    setTimeout(() => {
      if (!running) schedule();
    }, 0);
  };
}

/** Cancel what runs and compute what the current model / slide / ST need (spots, then heatmap). */
export function schedule(): void {
  const gen = ++generation;
  void enqueue(async () => {
    if (gen !== generation) return;
    const s = useModelStore.getState();
    if (!s.model) return;
    const ctrl = new AbortController();
    running = ctrl;
    try {
      if (s.st) await runSpotScores(ctrl.signal);
      if (gen !== generation || ctrl.signal.aborted) return;
      // while a case's ST data is on its way, its spots go first (the ST arrival schedules again)
      if (slideHandle && stExpected === 0) await runDenseHeatmap(ctrl.signal);
    } catch (err) {
      if (!isAbort(err)) useModelStore.getState().set({ runError: message(err) });
    } finally {
      if (running === ctrl) running = null;
      useModelStore.getState().set({ progress: null });
    }
  });
}

/** A result-cache lookup started early (setInferenceSt), so the spot run does not wait for IndexedDB. */
let cacheLookup: { key: Promise<string>; scores: Promise<SpotScoreArrays | null> } | null = null;

function startCacheLookup(key: Promise<ResultKey>): void {
  const scores = key.then(loadCachedScores).catch(() => null);
  cacheLookup = { key: key.then((k) => JSON.stringify(k)), scores };
}

async function getCachedScores(pendingKey: Promise<ResultKey>): Promise<SpotScoreArrays | null> {
  const key = await pendingKey;
  const k = JSON.stringify(key);
  const early = cacheLookup;
  cacheLookup = null;
  if (early && (await early.key.catch(() => null)) === k) return early.scores;
  return loadCachedScores(key).catch(() => null);
}

/**
 * At most one streamed redraw of the results per this many ms while a run goes on: 250 ms on a GPU;
 * 1 s where WebGL is software, as each overlay frame then costs the main thread a read-back and the
 * CPU a software raster, taken from the encoder (HER2ST B4 on 2 cores: 0.15 s per frame).
 */
function getStreamIntervalMs(): number {
  return isSoftwareWebGL() ? 1000 : 250;
}

/** `bump` at most once per getStreamIntervalMs() (the first call at once), and only while `live()`. */
function getThrottledBump(bump: () => void, live: () => boolean): () => void {
  let pending = false;
  let last = 0;
  return () => {
    if (pending) return;
    pending = true;
    setTimeout(
      () => {
        pending = false;
        last = performance.now();
        if (live()) bump();
      },
      Math.max(0, last + getStreamIntervalMs() - performance.now()),
    );
  };
}

async function runSpotScores(signal: AbortSignal): Promise<void> {
  const store = useModelStore.getState();
  const st = store.st!;
  const model = store.model!;
  const n = st.ids.length;
  const scores = {
    histology: new Float32Array(n).fill(Number.NaN),
    gene: new Float32Array(n).fill(Number.NaN),
    fused: new Float32Array(n).fill(Number.NaN),
  };
  let total = 0;
  for (let i = 0; i < n; i++) total += st.inTissue[i];
  if (total === 0) total = n;
  const sk = stKey;
  const mpp = getUserMpp();
  const cacheKey = sk ? slideKey.then((slide) => ({ slide: slide ?? 'none', st: sk, model: getModelCacheKey(model), mpp })) : null;
  // the cache lookup and the worker's run start together: a hit stops the run, a miss costs no wait
  const run = new AbortController();
  const onAbort = () => run.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const cacheHit = (cacheKey ? getCachedScores(cacheKey) : Promise.resolve(null)).then((c) => {
    if (!c || c.histology.length !== n) return null;
    run.abort(new DOMException('cached', 'AbortError'));
    return c;
  });
  const showCached = (cached: SpotScoreArrays) => {
    store.set({ scores: cached, spotsDone: total, spotsTotal: total, spotsMs: 0, spotsTimings: null, runError: null, progress: null });
    store.bump();
  };
  store.set({ scores, spotsDone: 0, spotsTotal: total, spotsMs: null, runError: null, progress: { task: 'spots', stage: 'gene head', done: 0, total } });
  mark('spots-start');
  const t0 = performance.now();
  const order = getVisibleFirstOrder(st.x, st.y);
  // results stream in, throttled: each update recolours the spots and redraws the overlay on the
  // main thread, which shares the CPU with the encoder (on 2 cores a redraw per batch cost the run
  // about 0.3 s of main-thread time on HER2ST B4)
  let finished = false;
  let fusedDone = false;
  const bumpSoon = getThrottledBump(
    () => useModelStore.getState().bump(),
    () => !finished && !run.signal.aborted,
  );
  let result: Awaited<ReturnType<InferenceClient['scoreSpots']>>;
  try {
    result = await getClient().scoreSpots({
      mpp: getUserMpp(),
      order,
      batchSize: getBatchSize(),
      orientations: getOrientationsParam(),
      signal: run.signal,
      onStarted: (info) => useModelStore.getState().set({ coverage: info.coverage, warnings: info.warnings, mpp: info.mpp, mppDetail: info.mppDetail }),
      onBatch: (b) => {
        if (run.signal.aborted) return;
        for (let i = 0; i < b.spots.length; i++) {
          const s = b.spots[i];
          scores.histology[s] = b.histology[i];
          scores.gene[s] = b.gene[i];
          scores.fused[s] = b.fused[i];
        }
        bumpSoon();
      },
      onProgress: (p) => {
        if (run.signal.aborted) return;
        const stage = p.stage === 'genes' ? 'gene head' : p.stage === 'views' ? `histology over ${getOrientationsParam() ?? model.manifest.histology.orientations} orientations` : 'spots';
        const patch: Partial<ReturnType<typeof useModelStore.getState>> = { progress: { task: 'spots', stage, done: p.done, total: p.total } };
        if (p.stage === 'spots') {
          patch.spotsDone = p.done;
          // every fused score is in; the histology column may still be averaged over more views
          if (p.done >= p.total && !fusedDone) {
            fusedDone = true;
            mark('fused-done');
          }
        }
        useModelStore.getState().set(patch);
      },
    });
  } catch (err) {
    const cached = signal.aborted ? null : await cacheHit;
    if (!cached) throw err;
    showCached(cached);
    return;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  finished = true;
  useModelStore.getState().set({ spotsDone: total, spotsMs: performance.now() - t0, spotsTimings: result.timings });
  mark('spots-done');
  useModelStore.getState().bump();
  if (cacheKey) void cacheKey.then((key) => saveCachedScores(key, scores)).catch(() => {});
}

/** A slide that is not brightfield H&E: said first in the heatmap's note (the model's scores there mean nothing). */
function showStainProblem(problem: string | null): void {
  if (!problem) return;
  const name = useSlideStore.getState().meta?.name ?? 'The slide';
  const note = useModelStore.getState().heatmapNote;
  useModelStore.getState().set({ heatmapNote: `${name} ${problem}.${note ? ` ${note}` : ''}` });
}

async function runDenseHeatmap(signal: AbortSignal): Promise<void> {
  const store = useModelStore.getState();
  const meta = useSlideStore.getState().meta;
  // a plain image without um/px (and no spots to measure it from): a 20x scan is assumed, as the
  // CLI's heatmap does, and the panel says so; areas stay unknown until the user sets the value
  const known = meta?.mpp ?? store.mpp;
  const mpp = known ?? ASSUMED_MPP;
  store.set({
    heatmapNote: known
      ? null
      : `The slide has no um/px: the heatmap assumes ${ASSUMED_MPP} um/px (a 20x scan). Set the real value in the Slide panel for the right scale and for areas in mm².`,
  });
  const model = store.model;
  const sk = await slideKey;
  const cacheKey = model && sk ? { slide: sk, st: '-', model: getModelCacheKey(model), mpp } : null;
  const cached = cacheKey ? await loadCachedHeatmap(cacheKey).catch(() => null) : null;
  if (cached) {
    useModelStore.getState().set({ heatmap: { ...cached, done: cached.cells.length, total: cached.cells.length } });
    showStainProblem(cached.stainProblem ?? null);
    useModelStore.getState().bumpHeatmap();
    return;
  }
  let values: Float32Array | null = null;
  // the raster is recoloured at most every getStreamIntervalMs() while windows stream in (each
  // recolour is a pass over the whole raster on the main thread)
  const bumpSoon = getThrottledBump(
    () => useModelStore.getState().bumpHeatmap(),
    () => !signal.aborted,
  );
  mark('heatmap-start');
  await getClient().heatmap({
    mpp,
    priority: getViewportRect(),
    batchSize: getBatchSize(),
    orientations: getOrientationsParam(),
    signal,
    onPlan: (plan) => {
      values = new Float32Array(plan.raster.width * plan.raster.height).fill(Number.NaN);
      useModelStore.getState().set({ heatmap: { raster: plan.raster, values, cells: plan.cells, tissueAreaPx2: plan.tissueAreaPx2, done: 0, total: plan.cells.length, stainProblem: plan.stainProblem } });
      showStainProblem(plan.stainProblem);
      useModelStore.getState().bumpHeatmap();
    },
    onBatch: (cells, probs, final) => {
      const h = useModelStore.getState().heatmap;
      if (!h || !values) return;
      for (let i = 0; i < cells.length; i++) values[cells[i]] = probs[i];
      // done counts final windows (regions and the threshold wait for all of them); upright previews are drawn meanwhile
      if (final) h.done = Math.min(h.total, h.done + cells.length);
      bumpSoon();
    },
    onProgress: (p) => {
      const stage = p.stage === 'tissue' ? 'tissue mask' : p.stage === 'views' ? `heatmap over ${getOrientationsParam() ?? model?.manifest.histology.orientations} orientations` : 'heatmap windows';
      useModelStore.getState().set({ progress: { task: 'heatmap', stage, done: p.done, total: p.total } });
    },
  });
  mark('heatmap-done');
  const h = useModelStore.getState().heatmap;
  if (h) {
    h.done = h.total;
    useModelStore.getState().bumpHeatmap();
    if (cacheKey) void saveCachedHeatmap(cacheKey, h).catch(() => {});
  }
}

/** Patch + top genes of a spot, for the hover card. */
export function loadSpotDetail(spot: number) {
  return getClient().spotDetail(spot, 8, getUserMpp());
}

/**
 * Marker genes of the current cancer calls: the scored spots whose score in the current mode
 * (fused for the difference view) is at or above that column's label-free threshold (or the
 * user's), against the other scored spots. Computed in the inference worker, which holds the
 * counts; the result lands in the store's `markers`. Skipped when the calls have not changed.
 */
export async function requestMarkers(top = 10): Promise<void> {
  const s = useModelStore.getState();
  if (!s.scores || !s.st || !s.model || s.spotsMs === null) return;
  const column = s.mode === 'difference' ? 'fused' : s.mode;
  const values = s.scores[column];
  const scored: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) scored.push(i);
  if (scored.length === 0) {
    useModelStore.getState().set({ markers: { key: '', column, threshold: Number.NaN, status: 'error', result: null, error: `no ${column} scores: ${column === 'gene' ? 'the gene head' : 'this mode'} has not scored the spots` } });
    return;
  }
  const m = s.model.manifest;
  const t = getThreshold(Float32Array.from(scored, (i) => values[i]), m.threshold.method, m.threshold.fallback, s.thresholdOverride).threshold;
  const key = `${s.version}|${column}|${t}`;
  if (s.markers?.key === key && s.markers.status !== 'error') return;
  const group = Uint8Array.from(scored, (i) => (values[i] >= t ? 1 : 0));
  useModelStore.getState().set({ markers: { key, column, threshold: t, status: 'running', result: null, error: null } });
  try {
    const result = await getClient().markers(Int32Array.from(scored), group, top);
    if (useModelStore.getState().markers?.key === key) useModelStore.getState().set({ markers: { key, column, threshold: t, status: 'done', result, error: null } });
  } catch (e) {
    if (useModelStore.getState().markers?.key === key) useModelStore.getState().set({ markers: { key, column, threshold: t, status: 'error', result: null, error: e instanceof Error ? e.message : String(e) } });
  }
}

/** Test hook: lose the WebGPU device now. */
export function debugLoseGpu(): void {
  getClient().debugLoseGpu();
}

/**
 * Follow the viewer's slide: every new handle goes to the worker and triggers a run. The blank
 * canvas of spots opened without an image is no slide to the models: the gene head alone runs
 * (as `fusescope predict` without --slide) and the gene mode is shown.
 */
export function startEngineSync(): void {
  let last: SlideHandle | null = null;
  const follow = (handle: SlideHandle | null) => {
    last = handle;
    const noImage = isBlankSlide(handle?.meta);
    const m = useModelStore.getState();
    if (noImage !== m.noImage) m.set(noImage ? { noImage, mode: 'gene' } : { noImage });
    void setSlide(noImage ? null : handle);
  };
  useSlideStore.subscribe((s) => {
    if (s.handle !== last) follow(s.handle);
  });
  if (useSlideStore.getState().handle) follow(useSlideStore.getState().handle);
}
