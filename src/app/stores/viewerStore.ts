import type OpenSeadragon from 'openseadragon';
import { create } from 'zustand';

/**
 * The OpenSeadragon viewer and its current zoom, for the scale bar, the toolbar and the
 * deck.gl overlay (src/overlay/ syncs to `useViewerStore(s => s.viewer)`).
 */
export interface ViewerState {
  viewer: OpenSeadragon.Viewer | null;
  /** Screen (CSS) pixels per level-0 image pixel; 0 before a slide is shown. */
  imageZoom: number;
  /** Number of tiles drawn so far for the current slide (for tests and the status line). */
  tilesLoaded: number;
  /** Tiles that failed to load for the current slide. */
  tilesFailed: number;
  setViewer(viewer: OpenSeadragon.Viewer | null): void;
  setImageZoom(imageZoom: number): void;
  resetTileCounts(): void;
  countTile(ok: boolean): void;
}

export const useViewerStore = create<ViewerState>()((set) => ({
  viewer: null,
  imageZoom: 0,
  tilesLoaded: 0,
  tilesFailed: 0,
  setViewer: (viewer) => set({ viewer }),
  setImageZoom: (imageZoom) => set({ imageZoom }),
  resetTileCounts: () => set({ tilesLoaded: 0, tilesFailed: 0 }),
  countTile: (ok) => set((s) => (ok ? { tilesLoaded: s.tilesLoaded + 1 } : { tilesFailed: s.tilesFailed + 1 })),
}));
