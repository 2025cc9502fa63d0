/**
 * Measuring on the viewer. Ruler: two clicks set a line's ends. Area: clicks set a polygon's
 * vertices; a click on the first vertex (or Enter) closes it. Dragging still pans and the wheel
 * still zooms; the shape follows the pointer until it is done; M toggles the ruler, Escape drops
 * the shape being drawn (or turns the tool off). Shapes are drawn on the deck overlay in level-0
 * pixels with their length or area, and belong to their slide.
 */
import { PathLayer, TextLayer } from '@deck.gl/layers';
import { getDeckOverlay } from '../../overlay/deckOverlay';
import { addOverlayClickListener, useOverlayStore } from '../../overlay/overlayStore';
import { getImagePoint } from '../../overlay/viewState';
import { useSlideStore } from '../stores/slideStore';
import { useViewerStore } from '../stores/viewerStore';
import { getMeasurementLabel, getSavedMeasurementsText, parseSavedMeasurements, type Point } from './measure';
import { useMeasureStore } from './measureStore';

const LAYER_IDS = { halo: 'measure-halo', path: 'measure-paths', labels: 'measure-labels' } as const;
/** a click within this many screen pixels of an area's first vertex closes it */
const CLOSE_RADIUS_SCREEN_PX = 10;

interface Drawn {
  path: [number, number][];
  label: string;
  /** where the label goes */
  at: [number, number];
}

function getDrawn(kind: 'line' | 'area', points: Point[], closed: boolean, mpp: number | null): Drawn {
  const path = points.map((p): [number, number] => [p.x, p.y]);
  if (closed && path.length > 2) path.push(path[0]);
  const at: [number, number] =
    kind === 'line' ? [(points[0].x + points[points.length - 1].x) / 2, (points[0].y + points[points.length - 1].y) / 2] : [points.reduce((s, p) => s + p.x, 0) / points.length, points.reduce((s, p) => s + p.y, 0) / points.length];
  return { path, label: points.length >= (kind === 'line' ? 2 : 3) ? getMeasurementLabel({ kind, points }, mpp) : '', at };
}

function pushLayers(): void {
  const { items, draft, cursor, tool } = useMeasureStore.getState();
  const mpp = useSlideStore.getState().meta?.mpp ?? null;
  const set = useOverlayStore.getState().setLayer;
  const drawn = items.map((m) => getDrawn(m.kind, m.points, m.kind === 'area', mpp));
  if (tool && draft.length > 0) drawn.push(getDrawn(tool, cursor ? [...draft, cursor] : draft, tool === 'area', mpp));
  if (drawn.length === 0) {
    for (const id of Object.values(LAYER_IDS)) set(id, null);
    return;
  }
  const path = (id: string, colour: [number, number, number, number], width: number) =>
    new PathLayer<Drawn>({ id, data: drawn, getPath: (d) => d.path, getColor: colour, getWidth: width, widthUnits: 'pixels', jointRounded: true, capRounded: true });
  set(LAYER_IDS.halo, path(LAYER_IDS.halo, [0, 0, 0, 200], 5), 40);
  set(LAYER_IDS.path, path(LAYER_IDS.path, [255, 230, 0, 255], 2), 41);
  set(
    LAYER_IDS.labels,
    new TextLayer<Drawn>({
      id: LAYER_IDS.labels,
      data: drawn.filter((d) => d.label),
      getPosition: (d) => d.at,
      getText: (d) => d.label,
      getSize: 13,
      sizeUnits: 'pixels',
      getColor: [20, 20, 20, 255],
      background: true,
      getBackgroundColor: [255, 230, 0, 230],
      backgroundPadding: [4, 2],
      getPixelOffset: [0, -14],
      fontFamily: 'system-ui, sans-serif',
      characterSet: 'auto',
    }),
    42,
  );
}

/** The level-0 point under a pointer event, or null where the overlay has no view. */
function getPointerImagePoint(e: PointerEvent): Point | null {
  const vs = useOverlayStore.getState().viewState;
  const canvas = getDeckOverlay()?.canvas;
  if (!vs || !canvas) return null;
  const r = canvas.getBoundingClientRect();
  return getImagePoint(vs, e.clientX - r.left, e.clientY - r.top);
}

function getStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** Measurements are kept on this computer per slide (name and size), like the ST registration. */
function getStorageKey(meta: { name: string; width: number; height: number } | null): string | null {
  return meta ? `fusescope:measurements:${meta.name}|${meta.width}|${meta.height}` : null;
}

function isTyping(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  return !!t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
}

/** Start measuring (once, at app start). */
export function startMeasureTool(): void {
  // added when a tool turns on, so that it is the newest listener and gets clicks first
  // (before a spot's pin or a landmark pick)
  let stopClicks: (() => void) | null = null;
  const listen = (on: boolean) => {
    stopClicks?.();
    stopClicks = on
      ? addOverlayClickListener((click) => {
          const zoom = useOverlayStore.getState().viewState?.zoom ?? 0;
          useMeasureStore.getState().click(click.image, CLOSE_RADIUS_SCREEN_PX / 2 ** zoom);
          return true;
        })
      : null;
  };
  let raf = 0;
  let pending: PointerEvent | null = null;
  window.addEventListener('pointermove', (e) => {
    if (useMeasureStore.getState().draft.length === 0) return;
    pending = e;
    if (raf) return;
    raf = requestAnimationFrame(() => {
      raf = 0;
      const p = pending && getPointerImagePoint(pending);
      if (p && useMeasureStore.getState().draft.length > 0) useMeasureStore.getState().setCursor(p);
    });
  });
  window.addEventListener('keydown', (e) => {
    if (isTyping(e) || e.ctrlKey || e.metaKey || e.altKey) return;
    const m = useMeasureStore.getState();
    if (e.key === 'm' || e.key === 'M') {
      if (useSlideStore.getState().meta) m.setTool(m.tool === 'line' ? null : 'line');
    } else if (e.key === 'Enter' && m.tool === 'area' && m.draft.length > 0) {
      // not also a click on the focused tool button
      e.preventDefault();
      m.finish();
    } else if (e.key === 'Escape') {
      if (m.draft.length > 0) m.cancel();
      else if (m.tool) m.setTool(null);
    }
  });
  useMeasureStore.subscribe((s, prev) => {
    if (s.items !== prev.items || s.draft !== prev.draft || s.cursor !== prev.cursor || s.tool !== prev.tool) pushLayers();
    if (s.items !== prev.items) {
      const key = getStorageKey(useSlideStore.getState().meta);
      const storage = getStorage();
      try {
        if (key && storage) {
          if (s.items.length) storage.setItem(key, getSavedMeasurementsText(s.items));
          else storage.removeItem(key);
        }
      } catch {
        // storage full or disabled: the export still works
      }
    }
    if (s.tool !== prev.tool && (s.tool === null) !== (prev.tool === null)) {
      listen(s.tool !== null);
      useViewerStore.getState().viewer?.element.classList.toggle('measuring', s.tool !== null);
    }
  });
  // sizes follow the um/px (set by the user, calibrated from the spots); shapes belong to their
  // slide, and come back when it is opened again
  useSlideStore.subscribe((s, prev) => {
    const key = getStorageKey(s.meta);
    if (key !== getStorageKey(prev.meta)) {
      const saved = key ? parseSavedMeasurements(getStorage()?.getItem(key) ?? null) : [];
      // restoring writes the same items back under the new slide's key
      useMeasureStore.getState().restore(saved);
      if (!s.meta) useMeasureStore.getState().setTool(null);
      pushLayers();
    } else if (s.meta?.mpp !== prev.meta?.mpp) pushLayers();
  });
}
