import type { GroupMarkers } from '../../core/st/markers';
import { create } from 'zustand';
import type { GeneCoverage, InferenceBackend, ModelInfo, RasterGeometry, SpotDetail, SpotRunTimings, StInfo } from '../../workers/inference-protocol';

/**
 * In-browser inference state: which model and backend run, the per-spot scores of the three heads
 * (filled batch by batch), the dense histology-only raster, the overlay mode and the threshold.
 * Typed arrays are mutated in place as results stream in; `version` / `heatmapVersion` bump so
 * selectors re-render.
 */
export type OverlayMode = 'fused' | 'histology' | 'gene' | 'difference';

export interface SpotScoreArrays {
  histology: Float32Array;
  gene: Float32Array;
  fused: Float32Array;
}

export interface HeatmapState {
  raster: RasterGeometry;
  /** row-major, NaN = not tissue / not computed */
  values: Float32Array;
  cells: Int32Array;
  tissueAreaPx2: number;
  done: number;
  total: number;
  /** the slide does not look like brightfield H&E (core/regions/tissue.ts getStainCheck); kept with the cached heatmap */
  stainProblem?: string | null;
}

export interface MarkerState {
  /** what the calls were made from: scores version, column, threshold */
  key: string;
  column: 'histology' | 'gene' | 'fused';
  threshold: number;
  status: 'running' | 'done' | 'error';
  result: GroupMarkers | null;
  error: string | null;
}

export interface RunProgress {
  task: 'model' | 'st' | 'spots' | 'heatmap';
  stage: string;
  done: number;
  total: number;
}

export interface ModelState {
  backend: InferenceBackend;
  webgpuAvailable: boolean;
  isolated: boolean;
  threads: number;
  /** a note when the backend changed on its own (WebGPU device lost) */
  backendNote: string | null;
  model: ModelInfo | null;
  modelError: string | null;
  st: StInfo | null;
  stError: string | null;
  /** um per level-0 px used for the patches and where it came from */
  mpp: number | null;
  mppDetail: string;
  coverage: GeneCoverage | null;
  warnings: string[];
  scores: SpotScoreArrays | null;
  spotsDone: number;
  spotsTotal: number;
  /** ms from the spot run start to the last fused score (null until complete) */
  spotsMs: number | null;
  /** where the last complete spot run's time went (worker side), for the benchmark and the status line */
  spotsTimings: SpotRunTimings | null;
  /** a caveat about the dense heatmap (an assumed um/px), shown under its controls */
  heatmapNote: string | null;
  heatmap: HeatmapState | null;
  progress: RunProgress | null;
  runError: string | null;
  mode: OverlayMode;
  /**
   * the open "slide" is the blank canvas of spots opened without an image: only the gene head runs,
   * so the gene mode is the only one with values (the others are refused)
   */
  noImage: boolean;
  /** null = the model's label-free threshold */
  thresholdOverride: number | null;
  opacity: number;
  showSpots: boolean;
  showHeatmap: boolean;
  showRegions: boolean;
  hoverDetail: SpotDetail | null;
  /** marker genes of the current cancer calls (computed on request, in the inference worker) */
  markers: MarkerState | null;
  /** the marker gene list is open (it is computed only then) */
  showMarkers: boolean;
  version: number;
  heatmapVersion: number;
  set(patch: Partial<ModelState>): void;
  setMode(mode: OverlayMode): void;
  bump(): void;
  bumpHeatmap(): void;
}

export const useModelStore = create<ModelState>()((set, get) => ({
  backend: 'wasm',
  webgpuAvailable: false,
  isolated: false,
  threads: 1,
  backendNote: null,
  model: null,
  modelError: null,
  st: null,
  stError: null,
  mpp: null,
  mppDetail: '',
  coverage: null,
  warnings: [],
  scores: null,
  spotsDone: 0,
  spotsTotal: 0,
  spotsMs: null,
  spotsTimings: null,
  heatmap: null,
  heatmapNote: null,
  progress: null,
  runError: null,
  mode: 'fused',
  noImage: false,
  thresholdOverride: null,
  opacity: 0.75,
  showSpots: true,
  showHeatmap: true,
  showRegions: true,
  hoverDetail: null,
  markers: null,
  showMarkers: false,
  version: 0,
  heatmapVersion: 0,
  set: (patch) => set(patch),
  setMode: (mode) => {
    if (get().noImage && mode !== 'gene') return;
    set({ mode });
  },
  bump: () => set((s) => ({ version: s.version + 1 })),
  bumpHeatmap: () => set((s) => ({ heatmapVersion: s.heatmapVersion + 1 })),
}));

/** The per-spot values shown in a mode (difference = fused - histology). */
export function getModeValues(scores: SpotScoreArrays, mode: OverlayMode): Float32Array {
  if (mode === 'difference') {
    const out = new Float32Array(scores.fused.length);
    for (let i = 0; i < out.length; i++) out[i] = scores.fused[i] - scores.histology[i];
    return out;
  }
  return scores[mode];
}
