/**
 * A deck.gl Deck on a canvas laid over OpenSeadragon's drawing canvas. One coordinate system:
 * slide level-0 pixels (OrthographicView, flipY, no controller). The view state is pushed from
 * OpenSeadragon on every 'update-viewport' / 'animation' / 'resize' and drawn in the same frame,
 * so the overlay neither lags nor drifts; frames in which the view did not move (OSD redrawing for
 * a tile that arrived) are not redrawn. Layers come from useOverlayStore (the store is the truth).
 * The canvas takes no pointer events: hover and click picking read OSD's own pointer events and ask
 * deck what is under them.
 */
import { Deck, OrthographicView } from '@deck.gl/core';
import type OpenSeadragon from 'openseadragon';
import { getWarmUpLayers } from './layerWarmUp';
import { emitOverlayClick, getOrderedLayers, type OverlayLayerEntry, useOverlayStore } from './overlayStore';
import { getImagePoint, getOverlayViewState, isSameViewState, type OsdViewLike, type OverlayViewState } from './viewState';

type SlideDeck = Deck<OrthographicView[]>;

export interface DeckOverlay {
  deck: SlideDeck;
  canvas: HTMLCanvasElement;
  /** push the current OSD viewport to deck and draw now */
  sync(): void;
  destroy(): void;
}

const EMPTY_VIEW_STATE = { target: [0, 0, 0] as [number, number, number], zoom: 0 };

function getDeckViewState(vs: OverlayViewState | null) {
  return { slide: vs ? { target: [vs.target[0], vs.target[1], 0] as [number, number, number], zoom: vs.zoom } : EMPTY_VIEW_STATE };
}

export function createDeckOverlay(viewer: OpenSeadragon.Viewer): DeckOverlay {
  const host = viewer.canvas as HTMLElement;
  const canvas = document.createElement('canvas');
  canvas.className = 'deck-overlay';
  canvas.dataset.testid = 'deck-overlay';
  Object.assign(canvas.style, { position: 'absolute', left: '0', top: '0', width: '100%', height: '100%', pointerEvents: 'none' });
  host.appendChild(canvas);

  const osd = viewer as unknown as OsdViewLike;
  let viewState = getOverlayViewState(osd);
  // drawn once, invisibly, so that each kind of layer has its shaders compiled (layerWarmUp.ts)
  let warmUp = getWarmUpLayers();
  const getLayers = (layers: Record<string, OverlayLayerEntry>) => (warmUp.length ? [...warmUp, ...getOrderedLayers(layers)] : getOrderedLayers(layers));
  let warmUpTimer: ReturnType<typeof setTimeout> | undefined;
  const onAfterRender = () => {
    if (!warmUp.length || canvas.width === 0 || canvas.height === 0) return;
    warmUp = [];
    // not inside deck's render: drop the warm-up layers on the next task
    warmUpTimer = setTimeout(() => setLayers(useOverlayStore.getState().layers), 0);
  };
  const deck: SlideDeck = new Deck<OrthographicView[]>({
    canvas,
    width: '100%',
    height: '100%',
    views: [new OrthographicView({ id: 'slide', flipY: true })],
    controller: false,
    viewState: getDeckViewState(viewState),
    layers: getLayers(useOverlayStore.getState().layers),
    useDevicePixels: true,
    onAfterRender,
  });

  // With nothing to draw the canvas is hidden and not redrawn: where the page is composited in
  // software (no GPU), every redrawn WebGL frame is read back on the main thread (0.1-0.15 s on
  // 2 cores for a 1280 x 800 overlay), also an empty one while a slide opens and OSD animates.
  let empty = false;
  const setEmpty = (layers: unknown[]) => {
    const next = layers.length === 0;
    if (next === empty) return;
    empty = next;
    canvas.style.visibility = empty ? 'hidden' : 'visible';
  };
  const setLayers = (entries: Record<string, OverlayLayerEntry>) => {
    const layers = getLayers(entries);
    setEmpty(layers);
    // the view may have moved while the canvas was empty (and deck left alone)
    deck.setProps(empty ? { layers } : { layers, viewState: getDeckViewState(viewState) });
  };
  const sync = (force = true) => {
    const next = getOverlayViewState(osd);
    // OSD raises update-viewport for every frame it draws, also when only a tile arrived and the
    // view did not move: redrawing deck then costs a full frame (and where WebGL is software, a
    // read-back of the overlay canvas on the main thread) for nothing
    if (!force && isSameViewState(next, viewState)) return;
    viewState = next;
    if (!empty) {
      deck.setProps({ viewState: getDeckViewState(viewState) });
      // draw in OSD's frame (deck would otherwise draw on its own next animation frame)
      try {
        deck.redraw('osd viewport');
      } catch {
        // deck not initialised yet: its own loop draws once the device is ready
      }
    }
    useOverlayStore.getState().setViewState(viewState);
  };
  const onViewport = () => sync(false);
  viewer.addHandler('update-viewport', onViewport);
  viewer.addHandler('animation', onViewport);
  viewer.addHandler('resize', onViewport);
  viewer.addHandler('open', onViewport);
  const onClose = () => {
    viewState = null;
    useOverlayStore.getState().setViewState(null);
    useOverlayStore.getState().setHover(null);
  };
  viewer.addHandler('close', onClose);

  const unsubscribe = useOverlayStore.subscribe((s, prev) => {
    if (s.layers !== prev.layers) setLayers(s.layers);
  });

  // ---- picking: hover (throttled to one pick per frame) and quick clicks
  const pickAt = (x: number, y: number) => {
    try {
      const info = deck.pickObject({ x, y, radius: 1 });
      if (info?.layer && info.index >= 0) return { layerId: info.layer.id, index: info.index };
    } catch {
      // deck not ready
    }
    return null;
  };
  let pending: { x: number; y: number } | null = null;
  let raf = 0;
  const onMove = (e: PointerEvent) => {
    const r = canvas.getBoundingClientRect();
    pending = { x: e.clientX - r.left, y: e.clientY - r.top };
    if (raf) return;
    raf = requestAnimationFrame(() => {
      raf = 0;
      const p = pending;
      if (!p || !viewState) return;
      const hit = pickAt(p.x, p.y);
      useOverlayStore.getState().setHover(hit ? { ...hit, screen: p, image: getImagePoint(viewState, p.x, p.y) } : null);
    });
  };
  const onLeave = () => {
    pending = null;
    useOverlayStore.getState().setHover(null);
  };
  host.addEventListener('pointermove', onMove);
  host.addEventListener('pointerleave', onLeave);

  const onClick = (e: OpenSeadragon.CanvasClickEvent) => {
    if (!e.quick || !viewState) return;
    const r = canvas.getBoundingClientRect();
    const oe = e.originalEvent as MouseEvent | undefined;
    const screen = oe && typeof oe.clientX === 'number' ? { x: oe.clientX - r.left, y: oe.clientY - r.top } : { x: e.position.x, y: e.position.y };
    emitOverlayClick({ pick: pickAt(screen.x, screen.y), screen, image: getImagePoint(viewState, screen.x, screen.y) });
  };
  viewer.addHandler('canvas-click', onClick);

  sync();
  return {
    deck,
    canvas,
    sync: () => sync(true),
    destroy() {
      unsubscribe();
      viewer.removeHandler('update-viewport', onViewport);
      viewer.removeHandler('animation', onViewport);
      viewer.removeHandler('resize', onViewport);
      viewer.removeHandler('open', onViewport);
      viewer.removeHandler('close', onClose);
      viewer.removeHandler('canvas-click', onClick);
      host.removeEventListener('pointermove', onMove);
      host.removeEventListener('pointerleave', onLeave);
      if (raf) cancelAnimationFrame(raf);
      clearTimeout(warmUpTimer);
      deck.finalize();
      canvas.remove();
    },
  };
}

let current: DeckOverlay | null = null;

/** The live overlay (for tests and for callers that need deck's projection). */
export function getDeckOverlay(): DeckOverlay | null {
  return current;
}

export function setDeckOverlay(o: DeckOverlay | null): void {
  current = o;
}
