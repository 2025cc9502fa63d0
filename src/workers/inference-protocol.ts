/**
 * Messages between inference-client.ts (main thread) and inference.worker.ts.
 * The worker runs onnxruntime-web (WebGPU or WASM) over the shared src/core/model pipeline. It
 * reads slide pixels through the main thread's SlideHandle (the same slide workers the viewer
 * uses): it asks with `readRegion`, the client answers with `region`.
 */
import type { ModelManifest } from '../core/model/manifest.ts';
import type { SlideMetadata } from '../core/slide/types.ts';
import type { LoadStOptions, StDataset } from '../core/st/types.ts';

export type InferenceBackend = 'webgpu' | 'wasm';

/** Where a model package's files come from: URLs per package path, or dropped blobs per path. */
export type ModelSource =
  | { kind: 'urls'; name: string; urls: Record<string, string> }
  | { kind: 'blobs'; name: string; files: Record<string, Blob> };

/** ST inputs for the worker to load (same core loader as the CLI), or a dataset already loaded. */
export type StSource =
  | { kind: 'files'; files: File[]; paths?: string[] }
  | { kind: 'urls'; urls: string[] }
  | { kind: 'dataset'; dataset: StDataset };

export interface ModelInfo {
  manifest: ModelManifest;
  /** sha256 of each ONNX file, joined, and of the manifest: identifies the model in the result cache */
  sha: string;
  source: string;
  backend: InferenceBackend;
  /** e.g. 'onnxruntime-web wasm' */
  runtimeName: string;
  threads: number;
}

export interface StInfo {
  ids: string[];
  x: Float64Array;
  y: Float64Array;
  inTissue: Uint8Array;
  diameterPx: number;
  platform: string;
  nGenes: number;
  warnings: string[];
  files: string[];
  /** um/px the loader was told (CLI: slide file mpp ?? --mpp) */
  slideMpp: number | null;
}

/** What the main thread keeps of an ST dataset the worker scores (the worker's setSt answer). */
export function getStInfo(ds: StDataset, slideMpp: number | null): StInfo {
  return {
    ids: ds.spots.ids,
    x: ds.spots.x,
    y: ds.spots.y,
    inTissue: ds.spots.inTissue,
    diameterPx: ds.spots.diameterPx,
    platform: ds.platform,
    nGenes: ds.genes.symbols.length,
    warnings: ds.warnings,
    files: ds.files.map((f) => f.name),
    slideMpp,
  };
}

export interface GeneCoverage {
  matched: number;
  panel: number;
  coverage: number;
  minCoverage: number;
  missing: string[];
}

export interface RasterGeometry {
  width: number;
  height: number;
  originX: number;
  originY: number;
  cellPx: number;
}

export type InferenceRequest =
  /** backend 'auto': WebGPU when a hardware adapter exists (a software fallback adapter is slower than WASM), else WASM */
  | { type: 'init'; id: number; backend: InferenceBackend | 'auto'; threads: number }
  | { type: 'loadModel'; id: number; source: ModelSource }
  | { type: 'setBackend'; id: number; backend: InferenceBackend }
  /** `ports`: straight to the slide's workers (slide-port.ts); without them regions are read through the main thread */
  | { type: 'setSlide'; id: number; meta: SlideMetadata | null; ports?: MessagePort[] }
  | { type: 'setSt'; id: number; source: StSource | null; options: Pick<LoadStOptions, 'slideMpp' | 'section' | 'targetFrame'> }
  // orientations: histology views averaged (null: the manifest's histology.orientations)
  | { type: 'scoreSpots'; id: number; mpp: number | null; order: Int32Array; batchSize: number; orientations: number | null }
  | { type: 'heatmap'; id: number; mpp: number; priority: { x0: number; y0: number; x1: number; y1: number } | null; batchSize: number; orientations: number | null }
  | { type: 'spotDetail'; id: number; spot: number; topGenes: number; mpp: number | null }
  /** marker genes of the spots with group[k] = 1 among `spots` (dataset rows) against the others (core/st/markers.ts) */
  | { type: 'markers'; id: number; spots: Int32Array; group: Uint8Array; top: number }
  | { type: 'cancel'; id: number; target: number }
  | { type: 'debugLoseGpu'; id: number }
  | { type: 'region'; id: number; ok: true; width: number; height: number; buffer: ArrayBuffer }
  | { type: 'region'; id: number; ok: false; name: string; message: string };

export type InferenceEvent =
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; name: string; message: string }
  | { type: 'readRegion'; id: number; level: number; x: number; y: number; width: number; height: number }
  /**
   * Read these regions of one level in this order, `concurrency` at a time, and answer each with a
   * `region` message (its own id). The main thread does the queueing, so reads go on while the
   * worker's thread is busy in the encoder.
   */
  | { type: 'readRegions'; batch: number; level: number; concurrency: number; regions: { id: number; x: number; y: number; width: number; height: number }[] }
  /** drop what is still queued of a readRegions batch */
  | { type: 'cancelReadRegions'; batch: number }
  | { type: 'progress'; id: number; stage: 'genes' | 'spots' | 'views' | 'tissue' | 'windows'; done: number; total: number }
  /** 'smoothed': once, when every spot is scored, all in-tissue spots after the manifest's spotSmoothing */
  | { type: 'spotBatch'; id: number; stage: 'spots' | 'views' | 'smoothed'; spots: Int32Array; histology: Float32Array; gene: Float32Array; fused: Float32Array }
  | { type: 'spotsStarted'; id: number; coverage: GeneCoverage; warnings: string[]; mpp: number | null; mppDetail: string }
  | { type: 'heatmapPlan'; id: number; raster: RasterGeometry; cells: Int32Array; tissueAreaPx2: number; tissue: { width: number; height: number; cellPx: number; mask: Uint8Array }; stainProblem: string | null }
  // final: the values are averaged over every view (false: upright previews, refined later)
  | { type: 'heatmapBatch'; id: number; cells: Int32Array; probs: Float32Array; final: boolean }
  | { type: 'backendLost'; reason: string; backend: InferenceBackend };

/**
 * Where the time of one spot run went (worker clock, ms). Intervals overlap: slide reads run while
 * the previous batch is encoded, so the parts need not add up to `totalMs`.
 */
export interface SpotRunTimings {
  /** request received to the last fused score */
  totalMs: number;
  /** gene alignment + normalisation + gene head */
  geneMs: number;
  /** histology encoder runs (onnxruntime) */
  encoderMs: number;
  encoderPatches: number;
  /** fusion head runs */
  fusionMs: number;
  /** wall time with at least one slide read outstanding (main thread + slide workers) */
  readWaitMs: number;
  /** region reads the worker asked the main thread for, and their pixels */
  regionReads: number;
  regionPixels: number;
  /** everything else in the worker: patch cutting, resampling, normalisation, messages */
  otherMs: number;
}

export interface SpotDetail {
  spot: number;
  id: string;
  x: number;
  y: number;
  /** the panel genes with the highest normalised values at this spot */
  topGenes: { symbol: string; value: number }[];
  /** the patch the histology encoder saw (RGBA, patchPx x patchPx) */
  patch: { width: number; height: number; data: Uint8ClampedArray } | null;
}
