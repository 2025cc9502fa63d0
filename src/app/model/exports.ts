/**
 * Exports of the model results: per-spot CSV (the CLI's `predict` columns), cancer regions as
 * QuPath GeoJSON (classification Tumor, level-0 px), and a PNG of the current view with the
 * legend and a scale bar composited on a canvas.
 */
import { getRegionsGeoJson } from '../../core/regions/contours';
import { getSpotCsvText, type SpotRow } from '../../core/score/spot-csv';
import { getColourTable } from '../../overlay/colour';
import { getDeckOverlay } from '../../overlay/deckOverlay';
import { useSlideStore } from '../stores/slideStore';
import { useViewerStore } from '../stores/viewerStore';
import { getScaleBar } from '../viewer/scaleBar';
import { getCurrentRegions, getDenseNote, getLegendMode, getModeScale, MODE_LABEL } from './modelOverlay';
import { useModelStore } from './modelStore';
import { getThreshold } from './scoreField';

export type { SpotRow };

const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);

/** One row per scored (in-tissue) spot, as `fusescope predict` writes them. */
export function getSpotCsvRows(): SpotRow[] {
  const s = useModelStore.getState();
  if (!s.st || !s.scores || !s.model) return [];
  const { st, scores } = s;
  const hasHistology = scores.histology.some(Number.isFinite);
  const column = hasHistology ? scores.fused : scores.gene;
  const t = getThreshold(column, s.model.manifest.threshold.method, s.model.manifest.threshold.fallback, s.thresholdOverride);
  const rows: SpotRow[] = [];
  for (let i = 0; i < st.ids.length; i++) {
    if (!Number.isFinite(scores.gene[i])) continue;
    const c = column[i];
    rows.push({
      spot_id: st.ids[i],
      x: st.x[i],
      y: st.y[i],
      histology: finiteOrNull(scores.histology[i]),
      gene: finiteOrNull(scores.gene[i]),
      fused: finiteOrNull(scores.fused[i]),
      cancer: Number.isFinite(c) ? (c >= t.threshold ? 1 : 0) : null,
    });
  }
  return rows;
}

export function getSpotCsv(): string {
  return getSpotCsvText(getSpotCsvRows());
}

/** The current regions as a QuPath-importable FeatureCollection (null when there are none yet). */
export function getRegionsGeoJsonText(): string | null {
  const summary = getCurrentRegions();
  if (!summary) return null;
  const mpp = useSlideStore.getState().meta?.mpp ?? useModelStore.getState().mpp;
  return JSON.stringify(getRegionsGeoJson(summary.regions, mpp ?? null));
}

export function downloadText(name: string, text: string, type: string): void {
  downloadBlob(name, new Blob([text], { type }));
}

export function downloadBlob(name: string, blob: Blob): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/** The slide's base name without extension, for export file names. */
export function getExportBaseName(): string {
  const name = useSlideStore.getState().meta?.name ?? 'fusescope';
  return (name.split('/').pop() ?? name).replace(/\.[^.]+$/, '') || 'fusescope';
}

/** Composite of the slide canvas, the deck overlay, the legend and a scale bar. */
export async function getViewPng(): Promise<Blob> {
  const viewer = useViewerStore.getState().viewer;
  if (!viewer) throw new Error('no slide is open');
  const container = viewer.element as HTMLElement;
  const w = container.clientWidth;
  const h = container.clientHeight;
  const dpr = window.devicePixelRatio || 1;
  const out = document.createElement('canvas');
  out.width = Math.round(w * dpr);
  out.height = Math.round(h * dpr);
  const ctx = out.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, out.width, out.height);
  const osdCanvas = (viewer.drawer as unknown as { canvas?: HTMLCanvasElement }).canvas ?? container.querySelector('canvas');
  if (osdCanvas) ctx.drawImage(osdCanvas, 0, 0, out.width, out.height);
  const overlay = getDeckOverlay();
  if (overlay) {
    // draw now so the WebGL buffer holds this frame when it is copied
    overlay.sync();
    ctx.drawImage(overlay.canvas, 0, 0, out.width, out.height);
  }
  ctx.scale(dpr, dpr);
  // legend
  const s = useModelStore.getState();
  const legendMode = getLegendMode(s);
  const label = MODE_LABEL[legendMode];
  const scale = getModeScale(legendMode);
  const note = getDenseNote(s);
  const lut = getColourTable(scale.map);
  const lx = 16;
  const ly = h - 70;
  ctx.fillStyle = 'rgba(255,255,255,0.85)';
  ctx.fillRect(lx - 8, ly - 22, 236, note ? 74 : 60);
  for (let i = 0; i < 200; i++) {
    const k = Math.round((i / 199) * 255) * 3;
    ctx.fillStyle = `rgb(${lut[k]},${lut[k + 1]},${lut[k + 2]})`;
    ctx.fillRect(lx + i, ly, 1, 12);
  }
  ctx.fillStyle = '#111';
  ctx.font = '12px sans-serif';
  ctx.fillText(label, lx, ly - 8);
  ctx.fillText(String(scale.lo), lx, ly + 28);
  const hiText = String(scale.hi);
  ctx.fillText(hiText, lx + 200 - ctx.measureText(hiText).width, ly + 28);
  if (note) {
    ctx.font = '11px sans-serif';
    ctx.fillStyle = '#444';
    ctx.fillText(note, lx, ly + 44);
  }
  // scale bar
  const meta = useSlideStore.getState().meta;
  const zoom = useViewerStore.getState().imageZoom;
  if (meta?.mpp && zoom > 0) {
    const bar = getScaleBar(meta.mpp, zoom);
    if (bar) {
      const bx = w - bar.px - 24;
      const by = h - 30;
      ctx.fillStyle = 'rgba(255,255,255,0.85)';
      ctx.fillRect(bx - 8, by - 20, bar.px + 16, 30);
      ctx.fillStyle = '#111';
      ctx.fillRect(bx, by, bar.px, 4);
      ctx.fillText(bar.label, bx, by - 6);
    }
  }
  return new Promise((resolve, reject) => out.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png'));
}
