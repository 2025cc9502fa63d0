/**
 * Inference worker: onnxruntime-web (WebGPU when an adapter is available and chosen, else WASM with
 * SIMD + threads) over the shared core pipeline (src/core/model): spot scores (histology, gene,
 * fused heads) streamed batch by batch in priority order, and the dense histology-only heatmap over
 * the tissue. Slide pixels come from the main thread's SlideHandle (the viewer's slide workers).
 * If the WebGPU device is lost mid-run, the worker reloads the sessions on WASM and continues with
 * the spots / windows not done yet; results already sent are kept.
 */
/// <reference lib="webworker" />
import { getGeneAlignment, getNormalisedGenes } from '../core/model/genes.ts';
import { type HeatmapPlan, loadHeatmapPlan, runHeatmap } from '../core/model/heatmap.ts';
import { loadModelPackage, type ModelPackage, sha256Hex } from '../core/model/manifest.ts';
import { type FuseModel, loadFuseModel } from '../core/model/model.ts';
import { getMppResolution } from '../core/model/mpp.ts';
import { getBlobPackageFiles, type PackageFiles } from '../core/model/package-files.ts';
import { getPatchGeometry, getPatchLevelRect, readPatchRgb } from '../core/model/patch.ts';
import { getInTissueSpots, scoreSpots } from '../core/model/score-spots.ts';
import { applySpotSmoothing, getSmoothingGraph, getSpotSmoothing } from '../core/model/spot-smoothing.ts';
import { getCellCentre } from '../core/regions/raster.ts';
import type { RgbaImage } from '../core/slide/types.ts';
import { getBrowserStFiles } from '../core/st/files/browser.ts';
import { createBytesStFile } from '../core/st/files/bytes.ts';
import { loadStDataset } from '../core/st/load.ts';
import { getGroupMarkers } from '../core/st/markers.ts';
import type { StDataset } from '../core/st/types.ts';
import { getStInfo, type InferenceBackend, type InferenceEvent, type InferenceRequest, type ModelInfo, type ModelSource, type SpotDetail, type SpotRunTimings, type StInfo, type StSource } from './inference-protocol.ts';
import { getOrtRuntime, loadOrt, setOrtThreads } from './inference-runtime.ts';
import { createProxySlide, type ProxySlide, type RemoteReader } from './inference-slide.ts';
import { createPortReader } from './slide-port.ts';
import { addTimings, createSpotRunClock, type SpotRunClock } from './inference-timing.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;

function post(msg: InferenceEvent, transfer: Transferable[] = []): void {
  scope.postMessage(msg, transfer);
}

// ---- slide pixels through the main thread ----
let nextRegionId = 1;
const regionWaits = new Map<number, { resolve: (img: RgbaImage) => void; reject: (e: Error) => void }>();

/** counts the reads of the spot run in progress (SpotRunTimings) */
let countRemoteRead: ((width: number, height: number) => void) | null = null;

function readRemoteRegion(level: number, x: number, y: number, width: number, height: number): Promise<RgbaImage> {
  const id = nextRegionId++;
  countRemoteRead?.(width, height);
  return new Promise<RgbaImage>((resolve, reject) => {
    regionWaits.set(id, { resolve, reject });
    post({ type: 'readRegion', id, level, x, y, width, height });
  });
}

let nextReadBatch = 1;

/** The main thread's slide, as the proxy reads it. */
const remoteReader: RemoteReader = {
  read: readRemoteRegion,
  readMany(level, regions, concurrency) {
    const batch = nextReadBatch++;
    const ids: number[] = [];
    const results = regions.map((r) => {
      const id = nextRegionId++;
      ids.push(id);
      countRemoteRead?.(r.width, r.height);
      return new Promise<RgbaImage>((resolve, reject) => regionWaits.set(id, { resolve, reject }));
    });
    post({ type: 'readRegions', batch, level, concurrency, regions: regions.map((r, i) => ({ id: ids[i], ...r })) });
    return {
      results,
      cancel() {
        post({ type: 'cancelReadRegions', batch });
        for (const id of ids) {
          const w = regionWaits.get(id);
          if (!w) continue;
          regionWaits.delete(id);
          w.reject(new DOMException('prefetch cancelled', 'AbortError'));
        }
      },
    };
  },
};

// ---- state ----
let backend: InferenceBackend = 'wasm';
let threads = 1;
let pkg: ModelPackage | null = null;
let modelSha = '';
let model: FuseModel | null = null;
let gpuLost: string | null = null;
let slide: ProxySlide | null = null;
let portReader: ReturnType<typeof createPortReader> | null = null;
/** the ST load in progress (setSt), which a scoring request sent right behind it waits for */
let stLoading: Promise<void> = Promise.resolve();
let st: StDataset | null = null;
let stSlideMpp: number | null = null;
let normalisedCache: { key: string; spots: Int32Array; genes: Float32Array } | null = null;
let heatmapCache: { key: string; plan: HeatmapPlan } | null = null;
const runs = new Map<number, AbortController>();

interface GpuDeviceLike {
  lost: Promise<{ message: string; reason?: string }>;
  destroy(): void;
}
interface GpuAdapterLike {
  requestDevice(): Promise<GpuDeviceLike>;
  isFallbackAdapter?: boolean;
  info?: { isFallbackAdapter?: boolean };
}
interface GpuLike {
  requestAdapter(): Promise<GpuAdapterLike | null>;
}

/**
 * The WebGPU adapter, asked twice: once, in headless Chromium on an H200, the first page of a fresh
 * browser got null from requestAdapter() while the app's pages after it got the GPU
 * (bench/results/2026-11-26-h200-chromium-b4-1.txt). A browser without WebGPU has no navigator.gpu
 * and pays nothing; one whose GPU is blocked waits 250 ms once.
 */
async function loadAdapter(gpu: GpuLike): Promise<GpuAdapterLike | null> {
  const first = await gpu.requestAdapter().catch(() => null);
  if (first) return first;
  await new Promise((r) => setTimeout(r, 250));
  return gpu.requestAdapter().catch(() => null);
}

/** Whether a WebGPU adapter exists, and whether it is hardware (not a software fallback such as SwiftShader). */
async function probeWebGpu(): Promise<{ available: boolean; hardware: boolean }> {
  const gpu = (navigator as unknown as { gpu?: GpuLike }).gpu;
  if (!gpu) return { available: false, hardware: false };
  const adapter = await loadAdapter(gpu);
  if (!adapter) return { available: false, hardware: false };
  const fallback = adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false;
  return { available: true, hardware: !fallback };
}
let gpuDevice: GpuDeviceLike | null = null;

async function setUpWebGpu(): Promise<boolean> {
  if (gpuDevice && !gpuLost) return true;
  if (gpuLost) return false; // one loss per worker: stay on WASM
  const gpu = (navigator as unknown as { gpu?: GpuLike }).gpu;
  if (!gpu) return false;
  const adapter = await loadAdapter(gpu);
  if (!adapter) return false;
  const device = await adapter.requestDevice().catch(() => null);
  if (!device) return false;
  gpuDevice = device;
  const ort = await loadOrt('webgpu');
  (ort.env.webgpu as unknown as { device: GpuDeviceLike }).device = device;
  void device.lost.then((info) => {
    gpuLost = info.message || info.reason || 'device lost';
    if (backend === 'webgpu') post({ type: 'backendLost', reason: gpuLost, backend: 'wasm' });
  });
  return true;
}

async function openModel(p: ModelPackage, wanted: InferenceBackend): Promise<FuseModel> {
  let use: InferenceBackend = wanted;
  if (use === 'webgpu' && !(await setUpWebGpu())) use = 'wasm';
  const runtime = await getOrtRuntime(use);
  const m = await loadFuseModel(p, runtime);
  backend = use;
  return m;
}

function getModelInfo(): ModelInfo {
  if (!pkg || !model) throw new Error('no model is loaded');
  return { manifest: pkg.manifest, sha: modelSha, source: pkg.source, backend, runtimeName: model.runtimeName, threads };
}

function getUrlPackageFiles(name: string, urls: Record<string, string>): PackageFiles {
  return {
    name,
    async read(path) {
      const url = urls[path];
      if (!url) throw new Error(`the package has no file ${path}`);
      const res = await fetch(url);
      if (!res.ok) throw new Error(`HTTP ${res.status} for ${path}`);
      return new Uint8Array(await res.arrayBuffer());
    },
  };
}

async function loadModel(source: ModelSource): Promise<ModelInfo> {
  const files = source.kind === 'urls' ? getUrlPackageFiles(source.name, source.urls) : getBlobPackageFiles(source.name, new Map(Object.entries(source.files)));
  const p = await loadModelPackage(files);
  const m = await openModel(p, backend);
  await model?.release();
  pkg = p;
  model = m;
  // the ONNX files and every manifest setting: the same ONNX files with other views averaged, another
  // spot smoothing or threshold rule give other results (cohort's resume fingerprint does the same)
  const settings = await sha256Hex(new TextEncoder().encode(JSON.stringify(p.manifest)));
  modelSha = p.manifest.files
    .slice()
    .sort((a, b) => a.role.localeCompare(b.role))
    .map((f) => f.sha256.toLowerCase())
    .join('')
    .concat(`|manifest${settings.slice(0, 16)}`);
  normalisedCache = null;
  heatmapCache = null;
  return getModelInfo();
}

/** Reload the sessions on WASM after a WebGPU failure. */
async function fallBackToWasm(): Promise<void> {
  if (!pkg) throw new Error('no model is loaded');
  const old = model;
  model = await openModel(pkg, 'wasm');
  await old?.release().catch(() => {});
  post({ type: 'backendLost', reason: gpuLost ?? 'WebGPU failed', backend: 'wasm' });
}

function isGpuFailure(err: unknown): boolean {
  if (backend !== 'webgpu') return false;
  if (gpuLost) return true;
  const msg = err instanceof Error ? err.message : String(err);
  return /webgpu|gpu|device/i.test(msg);
}

async function loadSt(source: StSource | null, options: { slideMpp?: number | null; section?: string }): Promise<StInfo | null> {
  normalisedCache = null;
  if (!source) {
    st = null;
    return null;
  }
  let ds: StDataset;
  if (source.kind === 'dataset') ds = source.dataset;
  else {
    const files =
      source.kind === 'files'
        ? getBrowserStFiles(source.files, source.paths)
        : await Promise.all(
            source.urls.map(async (url) => {
              const res = await fetch(url);
              if (!res.ok) throw new Error(`${url}: HTTP ${res.status}; check the URL.`);
              const name = decodeURIComponent(new URL(url, location.href).pathname.split('/').pop() ?? 'st');
              return createBytesStFile(name, new Uint8Array(await res.arrayBuffer()));
            }),
          );
    ds = await loadStDataset(files, { slideMpp: options.slideMpp ?? null, section: options.section });
  }
  st = ds;
  stSlideMpp = options.slideMpp ?? null;
  return getStInfo(ds, stSlideMpp);
}

function resolveMpp(userMpp: number | null): { mpp: number | null; detail: string } {
  const res = getMppResolution({ slide: slide?.meta ?? null, userMpp, st });
  return { mpp: res.mpp, detail: res.detail };
}

async function runSpots(
  id: number,
  req: Extract<InferenceRequest, { type: 'scoreSpots' }>,
  signal: AbortSignal,
): Promise<{ done: number; backend: InferenceBackend; timings: SpotRunTimings }> {
  if (!model || !pkg) throw new Error('no model is loaded');
  if (!st) throw new Error('no spatial-transcriptomics data is loaded');
  let clock = createSpotRunClock(model, slide);
  countRemoteRead = (w, h) => clock.countRead(w, h);
  const proxy = slide;
  const prefetching = proxy ? prefetchSpotPatches(proxy, st, pkg.manifest, req) : false;
  try {
    const r = await runSpotsTimed(id, req, signal, () => clock, (c) => (clock = c));
    return { ...r, timings: clock.getTimings() };
  } finally {
    countRemoteRead = null;
    if (prefetching) proxy?.endPrefetch();
  }
}

/**
 * Start reading the slide blocks under every in-tissue spot's patch, visible spots first, so the
 * main thread and the slide worker read while the encoder runs (scoreSpots asks for them batch by
 * batch). False when there is nothing to prefetch (no um/px: scoreSpots reports that).
 */
function prefetchSpotPatches(proxy: ProxySlide, data: StDataset, m: ModelPackage['manifest'], req: Extract<InferenceRequest, { type: 'scoreSpots' }>): boolean {
  const { mpp } = resolveMpp(req.mpp);
  if (!mpp || !(mpp > 0)) return false;
  const geom = getPatchGeometry(proxy.meta, mpp, m.histology.patchPx, m.histology.mpp);
  const { spots } = getInTissueSpots(data);
  const inTissue = new Uint8Array(data.spots.ids.length);
  for (const s of spots) inTissue[s] = 1;
  const rects: ReturnType<typeof getPatchLevelRect>[] = [];
  const add = (s: number) => {
    if (inTissue[s] !== 1) return;
    inTissue[s] = 2;
    rects.push(getPatchLevelRect(geom, data.spots.x[s], data.spots.y[s]));
  };
  for (const s of req.order) add(s);
  for (const s of spots) add(s);
  return proxy.prefetch(geom.level, rects) > 0;
}

async function runSpotsTimed(
  id: number,
  req: Extract<InferenceRequest, { type: 'scoreSpots' }>,
  signal: AbortSignal,
  getClock: () => SpotRunClock,
  setClock: (c: SpotRunClock) => void,
): Promise<{ done: number; backend: InferenceBackend }> {
  if (!model || !st) throw new Error('no model or ST data');
  const data = st;
  const nAll = data.spots.ids.length;
  const { spots: inTissue } = getInTissueSpots(data);
  // a spot is done when its first scores are in, refined when its histology is averaged over the
  // manifest's views (views = 1: at once); after a WebGPU loss the run restarts and skips both
  const views = req.orientations ?? model.manifest.histology.orientations;
  const doneMask = new Uint8Array(nAll);
  const refinedMask = new Uint8Array(nAll);
  let doneCount = 0;
  let refinedCount = 0;
  const { mpp, detail } = slide ? resolveMpp(req.mpp) : { mpp: null, detail: 'no slide: gene head only' };
  let order: Int32Array = req.order;
  let announced = false;
  // the newest value of each column per spot, for the manifest's spotSmoothing once the run is complete
  const latest = { histology: new Float32Array(nAll).fill(Number.NaN), gene: new Float32Array(nAll).fill(Number.NaN), fused: new Float32Array(nAll).fill(Number.NaN) };
  for (;;) {
    const inner = new AbortController();
    const onOuter = () => inner.abort(signal.reason);
    signal.addEventListener('abort', onOuter, { once: true });
    let complete = false;
    try {
      const clock = getClock();
      await scoreSpots({
        model: clock.model,
        st: data,
        slide: clock.slide,
        mpp,
        order,
        batchSize: req.batchSize,
        orientations: views,
        signal: inner.signal,
        onProgress: (p) => {
          if (p.stage === 'genes') post({ type: 'progress', id, stage: 'genes', done: p.done, total: p.total });
        },
        onBatch: (b) => {
          if (!announced) announced = true;
          for (let i = 0; i < b.spots.length; i++) {
            latest.histology[b.spots[i]] = b.histology[i];
            latest.gene[b.spots[i]] = b.gene[i];
            latest.fused[b.spots[i]] = b.fused[i];
          }
          const mask = b.stage === 'spots' ? doneMask : refinedMask;
          const keep: number[] = [];
          for (let i = 0; i < b.spots.length; i++) {
            if (!mask[b.spots[i]]) {
              mask[b.spots[i]] = 1;
              keep.push(i);
            }
          }
          if (b.stage === 'spots') doneCount += keep.length;
          else refinedCount += keep.length;
          if (keep.length) {
            const spots = Int32Array.from(keep, (i) => b.spots[i]);
            const histology = Float32Array.from(keep, (i) => b.histology[i]);
            const gene = Float32Array.from(keep, (i) => b.gene[i]);
            const fused = Float32Array.from(keep, (i) => b.fused[i]);
            post({ type: 'spotBatch', id, stage: b.stage, spots, histology, gene, fused }, [spots.buffer, histology.buffer, gene.buffer, fused.buffer]);
          }
          if (b.stage === 'spots') post({ type: 'progress', id, stage: 'spots', done: doneCount, total: inTissue.length });
          else post({ type: 'progress', id, stage: 'views', done: refinedCount, total: inTissue.length });
          if (doneCount >= inTissue.length && (views === 1 || !clock.slide || refinedCount >= inTissue.length)) {
            complete = true;
            inner.abort(new DOMException('complete', 'AbortError'));
          }
        },
      });
      break;
    } catch (err) {
      if (complete) break;
      if (signal.aborted) throw err;
      if (!isGpuFailure(err)) throw err;
      await fallBackToWasm();
      if (model) {
        // keep counting on the new sessions
        const before = getClock().getTimings();
        const next = createSpotRunClock(model, slide);
        setClock({ ...next, getTimings: () => addTimings(before, next.getTimings()) });
      }
      // the spots not done (or, once all are, not refined) yet go first; the run stops as soon as they are all in
      const pending = doneCount >= inTissue.length ? refinedMask : doneMask;
      const rest: number[] = [];
      for (const s of order) if (!pending[s]) rest.push(s);
      for (const s of inTissue) if (!pending[s]) rest.push(s);
      order = Int32Array.from(rest);
    } finally {
      signal.removeEventListener('abort', onOuter);
    }
  }
  if (slide && doneCount >= inTissue.length) postSmoothedColumns(id, data, inTissue, latest);
  void detail;
  return { done: doneCount, backend };
}

/** The run is complete: the columns the manifest smooths after the heads (scoreSpots returns them so to the CLI), as one last batch. */
function postSmoothedColumns(id: number, data: StDataset, inTissue: Int32Array, latest: Record<'histology' | 'gene' | 'fused', Float32Array>): void {
  if (!model) return;
  const m = model.manifest;
  if (!getSpotSmoothing(m, 'fused') && !getSpotSmoothing(m, 'histology')) return;
  // gene is smoothed inside scoreSpots already (it is complete before any batch); one graph for the other columns
  const x = Float64Array.from(inTissue, (d) => data.spots.x[d]);
  const y = Float64Array.from(inTissue, (d) => data.spots.y[d]);
  const graph = getSmoothingGraph(x, y, m.spotSmoothing?.k ?? 0);
  for (const column of ['fused', 'histology'] as const) applySpotSmoothing(m, column, inTissue, data.spots.x, data.spots.y, latest[column], graph);
  const spots = inTissue.slice();
  const histology = Float32Array.from(spots, (d) => latest.histology[d]);
  const gene = Float32Array.from(spots, (d) => latest.gene[d]);
  const fused = Float32Array.from(spots, (d) => latest.fused[d]);
  post({ type: 'spotBatch', id, stage: 'smoothed', spots, histology, gene, fused }, [spots.buffer, histology.buffer, gene.buffer, fused.buffer]);
}

async function runDense(id: number, req: Extract<InferenceRequest, { type: 'heatmap' }>, signal: AbortSignal): Promise<{ done: number; total: number; backend: InferenceBackend }> {
  if (!model || !pkg) throw new Error('no model is loaded');
  if (!slide) throw new Error('no slide is open');
  const key = `${modelSha}|${slide.meta.name}|${slide.meta.width}x${slide.meta.height}|${req.mpp}|${req.orientations ?? 'manifest'}`;
  let plan: HeatmapPlan;
  if (heatmapCache?.key === key) plan = heatmapCache.plan;
  else {
    post({ type: 'progress', id, stage: 'tissue', done: 0, total: 1 });
    plan = await loadHeatmapPlan(slide, pkg.manifest, req.mpp, signal);
    heatmapCache = { key, plan };
  }
  const { raster } = plan;
  const maskCopy = plan.tissue.mask.slice();
  post({
    type: 'heatmapPlan',
    id,
    raster: { width: raster.width, height: raster.height, originX: raster.originX, originY: raster.originY, cellPx: raster.cellPx },
    cells: plan.cells.slice(),
    tissueAreaPx2: plan.tissueAreaPx2,
    tissue: { width: plan.tissue.width, height: plan.tissue.height, cellPx: plan.tissue.cellPx, mask: maskCopy },
    stainProblem: plan.tissue.stain.problem,
  });
  // values computed by an earlier (cancelled) run
  const known: number[] = [];
  for (const c of plan.cells) if (!Number.isNaN(raster.values[c])) known.push(c);
  for (const final of [true, false]) {
    const part = known.filter((c) => (plan.final[c] === 1) === final);
    if (!part.length) continue;
    const cells = Int32Array.from(part);
    const probs = Float32Array.from(part, (c) => raster.values[c]);
    post({ type: 'heatmapBatch', id, cells, probs, final }, [cells.buffer, probs.buffer]);
  }
  // viewport first, nearest the viewport centre first
  let order: Int32Array | undefined;
  if (req.priority) {
    const { x0, y0, x1, y1 } = req.priority;
    const cx = (x0 + x1) / 2;
    const cy = (y0 + y1) / 2;
    const inView: { c: number; d: number }[] = [];
    for (const c of plan.cells) {
      const [x, y] = getCellCentre(raster, c);
      if (x >= x0 - raster.cellPx && x <= x1 + raster.cellPx && y >= y0 - raster.cellPx && y <= y1 + raster.cellPx) inView.push({ c, d: Math.hypot(x - cx, y - cy) });
    }
    inView.sort((a, b) => a.d - b.d);
    order = Int32Array.from(inView, (v) => v.c);
  }
  const total = plan.cells.length;
  let done = known.length;
  let refined = 0;
  for (const c of plan.cells) refined += plan.final[c];
  const views = req.orientations ?? model.manifest.histology.orientations;
  for (;;) {
    try {
      // with several views: an upright value for every window first, then the views
      await runHeatmap(plan, model, slide, {
        order,
        batchSize: req.batchSize,
        orientations: req.orientations ?? undefined,
        preview: true,
        resume: true,
        signal,
        onBatch: (cells, probs, stage) => {
          if (stage === 'windows') done += cells.length;
          else refined += cells.length;
          const c2 = cells.slice();
          const p2 = probs.slice();
          post({ type: 'heatmapBatch', id, cells: c2, probs: p2, final: stage === 'views' || views === 1 }, [c2.buffer, p2.buffer]);
          if (stage === 'windows') post({ type: 'progress', id, stage: 'windows', done: Math.min(done, total), total });
          else post({ type: 'progress', id, stage: 'views', done: refined, total });
        },
      });
      break;
    } catch (err) {
      if (signal.aborted) throw err;
      if (!isGpuFailure(err)) throw err;
      await fallBackToWasm();
    }
  }
  post({ type: 'progress', id, stage: 'windows', done: total, total });
  return { done: total, total, backend };
}

async function getSpotDetail(spot: number, topGenes: number, userMpp: number | null): Promise<SpotDetail> {
  if (!st || !pkg) throw new Error('no model or ST data');
  const m = pkg.manifest;
  const key = modelSha;
  if (normalisedCache?.key !== key) {
    const { spots } = getInTissueSpots(st);
    const alignment = getGeneAlignment(m.gene.panel, st.genes);
    normalisedCache = { key, spots, genes: getNormalisedGenes(st.matrix, spots, alignment, m.gene) };
  }
  const { spots, genes } = normalisedCache;
  const G = m.gene.panel.length;
  let pos = -1;
  for (let i = 0; i < spots.length; i++) if (spots[i] === spot) pos = i;
  const top: { symbol: string; value: number }[] = [];
  if (pos >= 0) {
    const row = genes.subarray(pos * G, (pos + 1) * G);
    const idx = Array.from({ length: G }, (_, g) => g).sort((a, b) => row[b] - row[a]);
    for (const g of idx.slice(0, topGenes)) top.push({ symbol: m.gene.panel[g].symbol, value: row[g] });
  }
  let patch: SpotDetail['patch'] = null;
  if (slide) {
    const { mpp } = resolveMpp(userMpp);
    if (mpp) {
      const geom = getPatchGeometry(slide.meta, mpp, m.histology.patchPx, m.histology.mpp);
      const rgb = await readPatchRgb(slide, geom, st.spots.x[spot], st.spots.y[spot]);
      const P = m.histology.patchPx;
      const data = new Uint8ClampedArray(P * P * 4);
      for (let p = 0; p < P * P; p++) {
        data[p * 4] = rgb[p * 3];
        data[p * 4 + 1] = rgb[p * 3 + 1];
        data[p * 4 + 2] = rgb[p * 3 + 2];
        data[p * 4 + 3] = 255;
      }
      patch = { width: P, height: P, data };
    }
  }
  return { spot, id: st.spots.ids[spot], x: st.spots.x[spot], y: st.spots.y[spot], topGenes: top, patch };
}

function errorReply(id: number, e: unknown): void {
  const name = e instanceof Error || e instanceof DOMException ? e.name : 'Error';
  const message = e instanceof Error || e instanceof DOMException ? e.message : String(e);
  post({ type: 'reply', id, ok: false, name, message });
}

async function handle(msg: InferenceRequest): Promise<void> {
  if (msg.type === 'region') {
    const w = regionWaits.get(msg.id);
    if (!w) return;
    regionWaits.delete(msg.id);
    if (msg.ok) w.resolve({ width: msg.width, height: msg.height, data: new Uint8ClampedArray(msg.buffer) });
    else {
      const e = new Error(msg.message);
      e.name = msg.name;
      w.reject(e);
    }
    return;
  }
  if (msg.type === 'debugLoseGpu') {
    // test hook (e2e): destroy the WebGPU device to exercise the fallback to WASM
    gpuDevice?.destroy();
    return;
  }
  if (msg.type === 'cancel') {
    runs.get(msg.target)?.abort(new DOMException('The operation was aborted.', 'AbortError'));
    return;
  }
  const ctrl = new AbortController();
  runs.set(msg.id, ctrl);
  try {
    let value: unknown = null;
    switch (msg.type) {
      case 'init': {
        threads = Math.max(1, msg.threads);
        setOrtThreads(threads);
        const probe = await probeWebGpu();
        backend = msg.backend === 'auto' ? (probe.hardware ? 'webgpu' : 'wasm') : msg.backend;
        if (backend === 'webgpu' && !(await setUpWebGpu())) backend = 'wasm';
        value = { webgpu: probe.available, hardwareGpu: probe.hardware, backend, isolated: self.crossOriginIsolated };
        break;
      }
      case 'loadModel':
        value = await loadModel(msg.source);
        break;
      case 'setBackend': {
        backend = msg.backend;
        if (pkg) {
          const old = model;
          model = await openModel(pkg, msg.backend);
          await old?.release().catch(() => {});
          value = getModelInfo();
        } else value = null;
        break;
      }
      case 'setSlide':
        slide?.close();
        portReader?.close();
        // reads go straight to the slide's workers where the main thread gave ports, else through it
        portReader = msg.ports?.length ? createPortReader(msg.ports, (w, h) => countRemoteRead?.(w, h)) : null;
        slide = msg.meta ? createProxySlide(msg.meta, portReader ?? remoteReader) : null;
        heatmapCache = null;
        break;
      case 'setSt': {
        const loading = loadSt(msg.source, msg.options);
        stLoading = loading.then(
          () => {},
          () => {},
        );
        value = await loading;
        break;
      }
      case 'scoreSpots': {
        // the caller may send it right behind setSt, without waiting for its answer
        await stLoading;
        if (!model || !st) throw new Error(!model ? 'no model is loaded' : 'no spatial-transcriptomics data is loaded');
        const m = pkg!.manifest;
        const alignment = getGeneAlignment(m.gene.panel, st.genes);
        const resolved = slide ? resolveMpp(msg.mpp) : { mpp: null, detail: 'no slide: only the gene head runs' };
        const warnings: string[] = [];
        if (alignment.coverage < m.gene.minCoverage) warnings.push(`only ${(alignment.coverage * 100).toFixed(1)}% of the model's gene panel is in the data (${alignment.matched}/${m.gene.panel.length})`);
        post({
          type: 'spotsStarted',
          id: msg.id,
          coverage: { matched: alignment.matched, panel: m.gene.panel.length, coverage: alignment.coverage, minCoverage: m.gene.minCoverage, missing: alignment.missing.slice(0, 50) },
          warnings,
          mpp: resolved.mpp,
          mppDetail: resolved.detail,
        });
        value = await runSpots(msg.id, msg, ctrl.signal);
        break;
      }
      case 'heatmap':
        value = await runDense(msg.id, msg, ctrl.signal);
        break;
      case 'spotDetail':
        value = await getSpotDetail(msg.spot, msg.topGenes, msg.mpp);
        break;
      case 'markers':
        if (!st) throw new Error('no ST data');
        value = getGroupMarkers(st, msg.spots, msg.group, { top: msg.top });
        break;
    }
    post({ type: 'reply', id: msg.id, ok: true, value });
  } catch (e) {
    errorReply(msg.id, e);
  } finally {
    runs.delete(msg.id);
  }
}

// In the production build onnxruntime-web is bundled into this file, and its WASM threads are
// started as workers of this same script (named 'em-pthread'): those must keep ORT's own handler.
if (!scope.name?.startsWith('em-pthread')) {
  scope.onmessage = (ev: MessageEvent<InferenceRequest>) => {
    void handle(ev.data);
  };
}
