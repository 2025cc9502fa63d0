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

export type { CaseInput, SpotRow, OverlayMode };

export async function load(input: CaseInput): Promise<void> {
  await loadCase(input);
}

/** Resolves when no model/ST load and no scoring run is pending (spots, then the dense heatmap). */
export async function whenIdle(): Promise<void> {
  // a run may be scheduled by the store subscriptions right after an input settles: wait until quiet twice
  for (let i = 0; i < 2; i++) {
    await new Promise((r) => setTimeout(r, 50));
    await whenEngineIdle();
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
