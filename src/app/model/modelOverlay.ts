/**
 * Wires the model results into the views: the spot colours (the ST overlay's colour source
 * `{kind: 'score'}`), the dense heatmap BitmapLayer and the region outlines (src/overlay/), all
 * with one colour map and one range so the spot layer and the dense layer share one legend.
 * Also follows the applied ST dataset (registered positions) into the inference worker.
 */
import { getMinRegionUm2, getRegionSizeFilter } from '../../core/regions/contours';
import { getAffineFromParams } from '../../core/st/registration';
import type { StDataset } from '../../core/st/types';
import type { ContinuousMapId } from '../../overlay/colour';
import { createHeatmapLayer, getHeatmapImage, HEATMAP_LAYER_ID } from '../../overlay/heatmapLayer';
import { useOverlayStore } from '../../overlay/overlayStore';
import { ANNOTATIONS_LAYER_ID, createRegionsLayer, REGIONS_LAYER_ID } from '../../overlay/regionsLayer';
import { useAnnotationStore } from '../annotations/annotationStore';
import { getDisplaySpots, getRegistrationAffine } from '../st/registration';
import { useStStore } from '../st/stStore';
import { useSlideStore } from '../stores/slideStore';
import { requestMarkers, setInferenceSt } from './engine';
import { getModeValues, type ModelState, type OverlayMode, useModelStore } from './modelStore';
import { getRegionSummary, getSpotRaster, getThreshold, type RegionSummary } from './scoreField';

export const MODE_LABEL: Record<OverlayMode, string> = {
  histology: 'Histology-only cancer probability',
  gene: 'Gene-only cancer probability',
  fused: 'Fused cancer probability',
  difference: 'Fused minus histology',
};

/** Colour map and range of a mode: probabilities on magma [0, 1], the difference diverging on [-1, 1]. */
export function getModeScale(mode: OverlayMode): { map: ContinuousMapId; lo: number; hi: number } {
  return mode === 'difference' ? { map: 'rdbu-r', lo: -1, hi: 1 } : { map: 'magma', lo: 0, hi: 1 };
}

/**
 * Whether the dense heatmap is drawn. It is the histology-only field, so it shows in the histology
 * mode, in the fused mode (between the spots, where there is no fused score) and wherever there are
 * no spot scores; under gene-only or difference colours it would pass histology off as genes.
 */
export function isDenseShown(s: ModelState): boolean {
  return s.heatmap !== null && s.showHeatmap && (s.mode === 'histology' || s.mode === 'fused' || !s.scores || !s.st);
}

/** The legend's line about the dense heatmap in the current mode, or undefined where it needs none. */
export function getDenseNote(s: ModelState): string | undefined {
  if (!s.heatmap || !s.showHeatmap || !s.scores || !s.st) return undefined;
  if (s.mode === 'fused') return 'heatmap between spots: histology-only';
  if (s.mode === 'gene' || s.mode === 'difference') return 'histology heatmap hidden in this mode';
  return undefined;
}

/** The mode the legend describes: the chosen one, or histology where only the dense heatmap has scores. */
export function getLegendMode(s: ModelState): OverlayMode {
  return s.heatmap && (!s.scores || !s.st) ? 'histology' : s.mode;
}

/** The registered dataset the model sees (positions as drawn); the same object when unregistered. */
function getRegisteredDataset(ds: StDataset): StDataset {
  const reg = useStStore.getState().registration;
  const identity = getAffineFromParams({ scale: 1, rotationDeg: 0, flipX: false, flipY: false, offsetX: 0, offsetY: 0, centerX: 0, centerY: 0 });
  const t = getRegistrationAffine(ds, reg);
  if (t.every((v, i) => Math.abs(v - identity[i]) < 1e-12)) return ds;
  const moved = getDisplaySpots(ds, t);
  return { ...ds, spots: { ...ds.spots, x: moved.x, y: moved.y, diameterPx: moved.diameterPx } };
}

let regionCache: { key: string; summary: RegionSummary | null } | null = null;

/** Threshold, regions and areas of the current mode's score field (memoised per results version). */
export function getCurrentRegions(s: ModelState = useModelStore.getState()): RegionSummary | null {
  const key = `${s.mode}|${s.version}|${s.heatmapVersion}|${s.thresholdOverride}|${s.st ? 1 : 0}|${s.spotsMs === null ? 'running' : 'done'}|${s.heatmap ? s.heatmap.total - s.heatmap.done : '-'}`;
  if (regionCache?.key === key) return regionCache.summary;
  const manifest = s.model?.manifest;
  let summary: RegionSummary | null = null;
  const meta = useSlideStore.getState().meta;
  const mpp = meta?.mpp ?? s.mpp;
  // regions are clipped to the slide (edge cells of the rasters overhang it)
  const bounds = meta ? { width: meta.width, height: meta.height } : undefined;
  if (manifest) {
    // regions smaller than the model's field of view are left out, holes that small filled (as in the CLI)
    const filter = getRegionSizeFilter(getMinRegionUm2(manifest), mpp);
    const method = manifest.threshold.method;
    const fallback = manifest.threshold.fallback;
    const useDense = s.heatmap && (s.mode === 'histology' || !s.scores || !s.st);
    if (useDense && s.heatmap) {
      // (the threshold and regions of the dense field wait for its last window, as the spots' do)
      const h = s.heatmap;
      if (h.done < h.total) {
        regionCache = { key, summary: null };
        return null;
      }
      const raster = { ...h.raster, values: h.values };
      const cellValues = Float32Array.from(h.cells, (c) => h.values[c]);
      summary = getRegionSummary(raster, getThreshold(cellValues, method, fallback, s.thresholdOverride), mpp, h.tissueAreaPx2, bounds, filter);
    } else if (s.scores && s.st && s.mode !== 'difference' && s.spotsMs !== null) {
      // (not while the spot run streams in: threshold and regions of a partial map would only flicker)
      const values = getModeValues(s.scores, s.mode);
      const raster = getSpotRaster(s.st.x, s.st.y, values);
      if (raster) summary = getRegionSummary(raster, getThreshold(values, method, fallback, s.thresholdOverride), mpp, s.heatmap?.tissueAreaPx2 ?? null, bounds, filter);
    }
  }
  regionCache = { key, summary };
  return summary;
}

function pushSpotColours(s: ModelState): void {
  const st = useStStore.getState();
  if (!s.scores || !st.dataset || st.dataset.spots.ids.length !== s.scores.fused.length) return;
  const src = st.colour.source;
  // only while the spots show model scores (or nothing yet): a gene the user picked stays
  if (src.kind !== 'score' && src.kind !== 'uniform') return;
  const values = getModeValues(s.scores, s.mode).slice();
  const scale = getModeScale(s.mode);
  st.setColourSource({ kind: 'score', values, label: MODE_LABEL[s.mode], note: getDenseNote(s) });
  useStStore.getState().setColour({ map: scale.map, range: [scale.lo, scale.hi] });
}

/** Colour the spots by the model's scores again (after a gene was picked). */
export function showScoresOnSpots(): void {
  useStStore.getState().setColourSource({ kind: 'uniform' });
  pushSpotColours(useModelStore.getState());
}

let heatmapImageKey = '';
let heatmapImage: ImageData | null = null;

function pushLayers(s: ModelState): void {
  const overlay = useOverlayStore.getState();
  const h = s.heatmap;
  if (h) {
    const scale = getModeScale(s.mode === 'difference' ? 'histology' : s.mode);
    const key = `${s.heatmapVersion}|${scale.map}`;
    if (key !== heatmapImageKey || !heatmapImage) {
      heatmapImage = getHeatmapImage(h.raster, h.values, scale.map, scale.lo, scale.hi);
      heatmapImageKey = key;
    }
    overlay.setLayer(HEATMAP_LAYER_ID, createHeatmapLayer({ raster: h.raster, image: heatmapImage, opacity: s.opacity, visible: isDenseShown(s), version: s.heatmapVersion }), -10);
  } else overlay.setLayer(HEATMAP_LAYER_ID, null);
  const regions = getCurrentRegions(s);
  if (regions?.regions.polygons.length) overlay.setLayer(REGIONS_LAYER_ID, createRegionsLayer({ polygons: regions.regions.polygons, visible: s.showRegions }), 20);
  else overlay.setLayer(REGIONS_LAYER_ID, null);
}

/** Start following the stores (called once at app start). */
export function startModelOverlay(): void {
  let frame = 0;
  const update = () => {
    frame = 0;
    const s = useModelStore.getState();
    pushSpotColours(s);
    pushLayers(s);
  };
  useModelStore.subscribe((s, prev) => {
    if (
      s.version !== prev.version ||
      s.heatmapVersion !== prev.heatmapVersion ||
      s.mode !== prev.mode ||
      s.thresholdOverride !== prev.thresholdOverride ||
      s.opacity !== prev.opacity ||
      s.showHeatmap !== prev.showHeatmap ||
      s.showRegions !== prev.showRegions ||
      s.scores !== prev.scores ||
      s.heatmap !== prev.heatmap
    ) {
      if (!frame) frame = requestAnimationFrame(update);
    }
  });
  // the marker genes of the calls, while their list is open: again when the calls change
  let markersTimer = 0;
  useModelStore.subscribe((s, prev) => {
    if (!s.showMarkers || s.spotsMs === null) return;
    if (s.showMarkers !== prev.showMarkers || s.version !== prev.version || s.mode !== prev.mode || s.thresholdOverride !== prev.thresholdOverride || s.spotsMs !== prev.spotsMs) {
      window.clearTimeout(markersTimer);
      markersTimer = window.setTimeout(() => void requestMarkers(), 250);
    }
  });
  // the loaded annotations as green outlines, above the model's regions
  const pushAnnotations = () => {
    const a = useAnnotationStore.getState();
    const layer = a.annotations ? createRegionsLayer({ id: ANNOTATIONS_LAYER_ID, polygons: a.annotations.shapes.map((s) => s.rings), visible: a.visible, colour: [60, 220, 90, 255] }) : null;
    useOverlayStore.getState().setLayer(ANNOTATIONS_LAYER_ID, layer, 25);
  };
  useAnnotationStore.subscribe((a, prev) => {
    if (a.annotations !== prev.annotations || a.visible !== prev.visible) pushAnnotations();
  });
  // annotations belong to their slide: another slide clears them
  useSlideStore.subscribe((s, prev) => {
    const id = (m: typeof s.meta) => (m ? `${m.name}|${m.width}|${m.height}` : '');
    if (id(s.meta) !== id(prev.meta) && useAnnotationStore.getState().annotations) useAnnotationStore.getState().set({ annotations: null, file: null, error: null, positive: null });
  });
  let lastDs: StDataset | null = null;
  let lastReg = useStStore.getState().registration;
  let timer = 0;
  useStStore.subscribe((st) => {
    if (st.dataset === lastDs && st.registration === lastReg) return;
    const changedData = st.dataset !== lastDs;
    lastDs = st.dataset;
    lastReg = st.registration;
    window.clearTimeout(timer);
    const hand = () => {
      const ds = useStStore.getState().dataset;
      void setInferenceSt(ds ? { kind: 'dataset', dataset: getRegisteredDataset(ds) } : null);
    };
    // new data goes to the worker at once (a timer would wait for the render the new spots start,
    // about 0.2 s on 2 cores, and let a slide-only heatmap start meanwhile); registration edits come
    // in bursts (typing, dragging): rescore once they settle
    if (changedData) hand();
    else timer = window.setTimeout(hand, 600);
  });
}
