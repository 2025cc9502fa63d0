/**
 * The embedding API: the same functions as an ES module and on `window.fusescope` in the running
 * app (documented in docs/embedding.md).
 *   load({slide, st, model, mpp})  URLs or Files; resolves when the inputs are open (scores follow)
 *   whenIdle()                     resolves when every requested score is computed
 *   scores()                       rows {spot_id, x, y, histology, gene, fused, cancer}
 *   setMode(mode)                  'fused' | 'histology' | 'gene' | 'difference'
 *   backend()                      'webgpu' | 'wasm'
 *   loadAnnotations(file | url)    a pathologist's QuPath GeoJSON as the reference
 *   agreement()                    the maps against it: {dense, spots} (as heatmap --annotations / evaluate)
 */
import type { RasterAgreement } from '../core/regions/annotations';
import { getAnnotationPositives, getDenseAgreement, getSpotAgreement, type SpotAgreement } from './annotations/agreement';
import { useAnnotationStore } from './annotations/annotationStore';
import { loadAnnotationFiles } from './annotations/loadAnnotations';
import type { FuseScopeDebug } from './debugHandle';
import { debugLoseGpu, setBackend, whenIdle as whenEngineIdle } from './model/engine';
import { getSpotCsvRows, type SpotRow } from './model/exports';
import { type OverlayMode, useModelStore } from './model/modelStore';
import { type CaseInput, loadCase } from './model/openCase';
import { useStStore } from './st/stStore';
import { useSlideStore } from './stores/slideStore';

export type { CaseInput, SpotRow, OverlayMode };

export async function load(input: CaseInput): Promise<void> {
  await loadCase(input);
}

/**
 * Resolves when no case is opening, no slide or ST file is being read and no model load or scoring
 * run is pending (spots, then the dense heatmap).
 */
export async function whenIdle(): Promise<void> {
  // a run may be scheduled by the store subscriptions right after an input settles: wait until quiet twice
  for (let quiet = 0; quiet < 2; ) {
    await new Promise((r) => setTimeout(r, 50));
    await whenEngineIdle();
    quiet = useSlideStore.getState().loading || useStStore.getState().loading ? 0 : quiet + 1;
  }
}

export function scores(): SpotRow[] {
  return getSpotCsvRows();
}

export function setMode(mode: OverlayMode): void {
  useModelStore.getState().setMode(mode);
}

export function backend(): 'webgpu' | 'wasm' {
  return useModelStore.getState().backend;
}

/** Load annotations (a File, or a URL fetched with CORS); rejects with the panel's error. */
export async function loadAnnotations(source: File | string): Promise<void> {
  let file: File;
  if (typeof source === 'string') {
    const res = await fetch(source);
    if (!res.ok) throw new Error(`${source}: HTTP ${res.status} ${res.statusText}`);
    file = new File([await res.blob()], decodeURIComponent(new URL(source, location.href).pathname.split('/').pop() || 'annotations.geojson'));
  } else file = source;
  if (!(await loadAnnotationFiles([file]))) throw new Error(useAnnotationStore.getState().error?.message ?? `${file.name}: could not be read`);
}

export interface AgreementResult {
  file: string;
  positiveClasses: string[];
  /** the dense heatmap window by window (null until it is complete) */
  dense: RasterAgreement | null;
  /** the current mode's spot scores (null without complete spot scores) */
  spots: SpotAgreement | null;
}

/** How the maps agree with the loaded annotations; null when none are loaded or no class is cancer. */
export function agreement(): AgreementResult | null {
  const { annotations, positive: picked, file } = useAnnotationStore.getState();
  if (!annotations || !file) return null;
  const positive = getAnnotationPositives(annotations, picked);
  if (positive instanceof Error) return null;
  const s = useModelStore.getState();
  return {
    file,
    positiveClasses: [...positive].sort(),
    dense: getDenseAgreement(s, annotations, positive, useSlideStore.getState().meta?.mpp ?? s.mpp),
    spots: getSpotAgreement(s, annotations, positive),
  };
}

export interface FuseScopeApi {
  load: typeof load;
  whenIdle: typeof whenIdle;
  scores: typeof scores;
  setMode: typeof setMode;
  backend: typeof backend;
  loadAnnotations: typeof loadAnnotations;
  agreement: typeof agreement;
  /** switch the inference backend (recomputes) */
  setBackend: typeof setBackend;
  model: typeof useModelStore;
  /** test hook: destroy the WebGPU device mid-run */
  debugLoseGpu: typeof debugLoseGpu;
}

declare module './debugHandle' {
  interface FuseScopeDebug extends FuseScopeApi {}
}

/** Put the API on window.fusescope (next to the stores the viewer exposes there). */
export function exposeApi(): void {
  const api: FuseScopeApi = { load, whenIdle, scores, setMode, backend, loadAnnotations, agreement, setBackend, model: useModelStore, debugLoseGpu };
  window.fusescope = Object.assign(window.fusescope ?? ({} as FuseScopeDebug), api);
}
