/**
 * The embedding API: the same functions as an ES module and on `window.fusescope` in the running
 * app (documented in docs/embedding.md).
 *   load({slide, st, model, mpp})  URLs or Files; resolves when the inputs are open (scores follow)
 *   whenIdle()                     resolves when every requested score is computed
 *   scores()                       rows {spot_id, x, y, histology, gene, fused, cancer}
 *   setMode(mode)                  'fused' | 'histology' | 'gene' | 'difference'
 *   backend()                      'webgpu' | 'wasm'
 */
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

export interface FuseScopeApi {
  load: typeof load;
  whenIdle: typeof whenIdle;
  scores: typeof scores;
  setMode: typeof setMode;
  backend: typeof backend;
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
  const api: FuseScopeApi = { load, whenIdle, scores, setMode, backend, setBackend, model: useModelStore, debugLoseGpu };
  window.fusescope = Object.assign(window.fusescope ?? ({} as FuseScopeDebug), api);
}
