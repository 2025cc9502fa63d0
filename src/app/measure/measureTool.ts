/**
 * The ruler on the viewer: clicks on the slide set a line's two ends while it is on (drag still
 * pans, the wheel still zooms), the line follows the pointer until the second click, M toggles
 * it and Escape drops the line being drawn (or turns the ruler off). Lines are drawn on the deck
 * overlay in level-0 pixels with their length, and belong to their slide.
 */
import { LineLayer, TextLayer } from '@deck.gl/layers';
import { getDeckOverlay } from '../../overlay/deckOverlay';
import { addOverlayClickListener, useOverlayStore } from '../../overlay/overlayStore';
import { getImagePoint } from '../../overlay/viewState';
import { useSlideStore } from '../stores/slideStore';
import { useViewerStore } from '../stores/viewerStore';
import { getLengthLabel, getLengthPx, type Point } from './measure';
import { useMeasureStore } from './measureStore';

export const MEASURE_LINES_ID = 'measure-lines';
const MEASURE_LABELS_ID = 'measure-labels';

interface Drawn {
  a: [number, number];
  b: [number, number];
  label: string;
}

function pushLayers(): void {
  const { lines, start, cursor } = useMeasureStore.getState();
  const mpp = useSlideStore.getState().meta?.mpp ?? null;
  const set = useOverlayStore.getState().setLayer;
  const drawn: Drawn[] = lines.map((m) => ({ a: [m.a.x, m.a.y], b: [m.b.x, m.b.y], label: getLengthLabel(getLengthPx(m), mpp) }));
  if (start && cursor) drawn.push({ a: [start.x, start.y], b: [cursor.x, cursor.y], label: getLengthLabel(getLengthPx({ a: start, b: cursor }), mpp) });
  if (drawn.length === 0) {
    set(MEASURE_LINES_ID, null);
    set(MEASURE_LABELS_ID, null);
    return;
  }
  const line = (id: string, colour: [number, number, number, number], width: number) =>
    new LineLayer<Drawn>({ id, data: drawn, getSourcePosition: (d) => d.a, getTargetPosition: (d) => d.b, getColor: colour, getWidth: width, widthUnits: 'pixels' });
  set(`${MEASURE_LINES_ID}-halo`, line(`${MEASURE_LINES_ID}-halo`, [0, 0, 0, 200], 5), 40);
  set(MEASURE_LINES_ID, line(MEASURE_LINES_ID, [255, 230, 0, 255], 2), 41);
  set(
    MEASURE_LABELS_ID,
    new TextLayer<Drawn>({
      id: MEASURE_LABELS_ID,
      data: drawn,
      getPosition: (d) => [(d.a[0] + d.b[0]) / 2, (d.a[1] + d.b[1]) / 2],
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

function clearLayers(): void {
  const set = useOverlayStore.getState().setLayer;
  for (const id of [MEASURE_LINES_ID, `${MEASURE_LINES_ID}-halo`, MEASURE_LABELS_ID]) set(id, null);
}

/** The level-0 point under a pointer event, or null where the overlay has no view. */
function getPointerImagePoint(e: PointerEvent): Point | null {
  const vs = useOverlayStore.getState().viewState;
  const canvas = getDeckOverlay()?.canvas;
  if (!vs || !canvas) return null;
  const r = canvas.getBoundingClientRect();
  return getImagePoint(vs, e.clientX - r.left, e.clientY - r.top);
}

function isTyping(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  return !!t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
}

/** Start the ruler (once, at app start). */
export function startMeasureTool(): void {
  // added when the ruler turns on, so that it is the newest listener and gets clicks first
  // (before a spot's pin or a landmark pick)
  let stopClicks: (() => void) | null = null;
  const listen = (on: boolean) => {
    stopClicks?.();
    stopClicks = on
      ? addOverlayClickListener((click) => {
          useMeasureStore.getState().click(click.image);
          return true;
        })
      : null;
  };
  let raf = 0;
  let pending: PointerEvent | null = null;
  window.addEventListener('pointermove', (e) => {
    if (!useMeasureStore.getState().start) return;
    pending = e;
    if (raf) return;
    raf = requestAnimationFrame(() => {
      raf = 0;
      const p = pending && getPointerImagePoint(pending);
      if (p && useMeasureStore.getState().start) useMeasureStore.getState().setCursor(p);
    });
  });
  window.addEventListener('keydown', (e) => {
    if (isTyping(e) || e.ctrlKey || e.metaKey || e.altKey) return;
    const m = useMeasureStore.getState();
    if (e.key === 'm' || e.key === 'M') {
      if (useSlideStore.getState().meta) m.setActive(!m.active);
    } else if (e.key === 'Escape') {
      if (m.start) m.cancel();
      else if (m.active) m.setActive(false);
    }
  });
  useMeasureStore.subscribe((s, prev) => {
    if (s.lines !== prev.lines || s.start !== prev.start || s.cursor !== prev.cursor) pushLayers();
    if (s.active !== prev.active) {
      listen(s.active);
      useViewerStore.getState().viewer?.element.classList.toggle('measuring', s.active);
    }
  });
  // lengths follow the um/px (set by the user, calibrated from the spots); lines belong to their slide
  useSlideStore.subscribe((s, prev) => {
    const id = (m: typeof s.meta) => (m ? `${m.name}|${m.width}|${m.height}` : '');
    if (id(s.meta) !== id(prev.meta)) {
      useMeasureStore.getState().clear();
      if (!s.meta) useMeasureStore.getState().setActive(false);
      clearLayers();
    } else if (s.meta?.mpp !== prev.meta?.mpp) pushLayers();
  });
}
