import type { Layer } from '@deck.gl/core';
import { create } from 'zustand';
import type { OverlayViewState } from './viewState';

/**
 * The overlay's truth: which deck.gl layers to draw (each owner sets its own entry by id, e.g.
 * 'st-spots' from src/app/st/, a heatmap raster from the model UI), the synced view state, and
 * what the pointer is over. The deck instance in src/overlay/deckOverlay.ts reconciles from here.
 */
export interface OverlayLayerEntry {
  layer: Layer;
  /** drawing order: lower first (below) */
  order: number;
}

export interface OverlayHover {
  layerId: string;
  index: number;
  /** viewer element CSS pixels */
  screen: { x: number; y: number };
  /** level-0 image pixels */
  image: { x: number; y: number };
}

export interface OverlayState {
  layers: Record<string, OverlayLayerEntry>;
  /** the deck view state of the last drawn frame (null when no image is open) */
  viewState: OverlayViewState | null;
  hover: OverlayHover | null;
  /** set a layer by id (null removes it) */
  setLayer(id: string, layer: Layer | null, order?: number): void;
  setViewState(viewState: OverlayViewState | null): void;
  setHover(hover: OverlayHover | null): void;
}

export const useOverlayStore = create<OverlayState>()((set) => ({
  layers: {},
  viewState: null,
  hover: null,
  setLayer: (id, layer, order = 0) =>
    set((s) => {
      const layers = { ...s.layers };
      if (layer) layers[id] = { layer, order };
      else delete layers[id];
      return { layers };
    }),
  setViewState: (viewState) => set({ viewState }),
  setHover: (hover) => set((s) => (s.hover === hover || (s.hover && hover && s.hover.layerId === hover.layerId && s.hover.index === hover.index && s.hover.screen.x === hover.screen.x && s.hover.screen.y === hover.screen.y) ? s : { hover })),
}));

/** Layers in drawing order. */
export function getOrderedLayers(layers: Record<string, OverlayLayerEntry>): Layer[] {
  return Object.values(layers)
    .sort((a, b) => a.order - b.order)
    .map((e) => e.layer);
}

/** A click on the slide, with what the overlay had under the pointer (null: nothing pickable). */
export interface OverlayClick {
  pick: { layerId: string; index: number } | null;
  screen: { x: number; y: number };
  image: { x: number; y: number };
}

type ClickListener = (click: OverlayClick) => boolean | undefined;
const clickListeners = new Set<ClickListener>();

/**
 * Listen to quick clicks on the slide. A listener that returns true consumed the click (later
 * listeners are not called). Returns the function that removes the listener.
 */
export function addOverlayClickListener(fn: ClickListener): () => void {
  clickListeners.add(fn);
  return () => clickListeners.delete(fn);
}

export function emitOverlayClick(click: OverlayClick): void {
  for (const fn of [...clickListeners].reverse()) if (fn(click) === true) return;
}
