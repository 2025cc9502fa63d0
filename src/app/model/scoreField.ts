/**
 * The score field the cancer regions are drawn from: the dense histology raster in histology mode
 * (covers tissue without spots), or the spot scores of the current mode painted onto a grid of half
 * the spot spacing (each cell takes its nearest spot within 0.75 spacing). Regions = contours at
 * the threshold (label-free GMM / Otsu from the model, or the user's), with areas in mm2.
 */
import { getPointBounds } from '../../core/st/slide-fit';
import { type CancerRegions, getCancerRegions, getRingBounds, type RegionSizeFilter } from '../../core/regions/contours';
import type { ProbabilityRaster } from '../../core/regions/raster';
import { getSlideScore, getSlideScoreRule, type SlideScore } from '../../core/model/slide-score';
import { getPositiveClasses } from '../../core/st/labels';
import { getAveragePrecision, getRocAuc } from '../../core/score/metrics';
import type { AnnotationColumn } from '../../core/st/types';
import { getLabelFreeThreshold, type ThresholdMethod, type ThresholdResult } from '../../core/score/threshold';
import { getSpotPitch } from '../../core/st/pitch';

/** Paint spot values onto a grid (level-0 px geometry); NaN where no spot is near. */
export function getSpotRaster(x: ArrayLike<number>, y: ArrayLike<number>, values: ArrayLike<number>): ProbabilityRaster | null {
  const idx: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) idx.push(i);
  if (idx.length < 2) return null;
  const fx = idx.map((i) => x[i]);
  const fy = idx.map((i) => y[i]);
  const spacing = getSpotPitch(fx, fy).pitchPx;
  if (!(spacing > 0)) return null;
  const cellPx = spacing / 2;
  const reach = spacing * 0.75;
  const { minX, minY, maxX, maxY } = getPointBounds(fx, fy)!;
  const originX = minX - reach - cellPx;
  const originY = minY - reach - cellPx;
  const width = Math.ceil((maxX - originX + reach + cellPx) / cellPx) + 1;
  const height = Math.ceil((maxY - originY + reach + cellPx) / cellPx) + 1;
  if (width * height > 16_000_000) return null;
  const out = new Float32Array(width * height).fill(Number.NaN);
  const dist = new Float32Array(width * height).fill(Number.POSITIVE_INFINITY);
  const r = Math.ceil(reach / cellPx);
  for (let k = 0; k < idx.length; k++) {
    const v = values[idx[k]];
    const c0 = Math.floor((fx[k] - originX) / cellPx);
    const r0 = Math.floor((fy[k] - originY) / cellPx);
    for (let row = Math.max(0, r0 - r); row <= Math.min(height - 1, r0 + r); row++) {
      for (let col = Math.max(0, c0 - r); col <= Math.min(width - 1, c0 + r); col++) {
        const d = Math.hypot(originX + (col + 0.5) * cellPx - fx[k], originY + (row + 0.5) * cellPx - fy[k]);
        const q = row * width + col;
        if (d <= reach && d < dist[q]) {
          dist[q] = d;
          out[q] = v;
        }
      }
    }
  }
  return { width, height, originX, originY, cellPx, values: out };
}

export interface RegionSummary {
  threshold: ThresholdResult;
  regions: CancerRegions;
  /** null when the um/px is unknown */
  cancerAreaMm2: number | null;
  tissueAreaMm2: number | null;
  cancerFraction: number | null;
  /** the greatest dimension of the largest-spanning region in mm (maximum Feret diameter; null without um/px or regions) */
  maxDiameterMm: number | null;
  /** the size filter's minimum region and hole in mm^2 (null without um/px or filter) */
  minRegionMm2: number | null;
}

export function getThreshold(values: ArrayLike<number>, method: ThresholdMethod, fallback: number, override: number | null): ThresholdResult {
  if (override != null) return { threshold: override, method: 'fallback', detail: `set by the user (${override.toFixed(3)})`, gmm: null };
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) finite.push(values[i]);
  return getLabelFreeThreshold(Float32Array.from(finite), method, fallback);
}

/**
 * Regions + areas from a raster at a threshold; `tissueAreaPx2` null = use the field's own finite
 * cells; `filter` leaves out small regions and fills small holes (contours.ts).
 */
export function getRegionSummary(
  raster: ProbabilityRaster,
  threshold: ThresholdResult,
  mpp: number | null,
  tissueAreaPx2: number | null,
  bounds?: { width: number; height: number },
  filter?: RegionSizeFilter,
): RegionSummary {
  const regions = getCancerRegions(raster, threshold.threshold, bounds, filter);
  let tissue = tissueAreaPx2;
  if (tissue == null) {
    let n = 0;
    for (const v of raster.values) if (Number.isFinite(v)) n++;
    tissue = n * raster.cellPx * raster.cellPx;
  }
  const k = mpp ? (mpp * mpp) / 1e6 : null;
  return {
    threshold,
    regions,
    cancerAreaMm2: k ? regions.totalAreaPx2 * k : null,
    tissueAreaMm2: k ? tissue * k : null,
    cancerFraction: tissue > 0 ? Math.min(1, regions.totalAreaPx2 / tissue) : null,
    maxDiameterMm: mpp && regions.maxDiametersPx.length ? (Math.max(...regions.maxDiametersPx) * mpp) / 1000 : null,
    minRegionMm2: k && filter ? filter.minRegionPx2 * k : null,
  };
}

/** Histogram of the finite values in [0, 1] (values outside clamp to the end bins). */
export function getHistogram(values: ArrayLike<number>, bins = 40, lo = 0, hi = 1): Uint32Array {
  const h = new Uint32Array(bins);
  const span = hi - lo;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(((v - lo) / span) * bins)));
    h[b]++;
  }
  return h;
}

/**
 * The whole-slide cancer probability of a complete dense heatmap, by the manifest's `slideScore`
 * rule (the CLI's `heatmap --json` slideScore, the GlaS image-level protocol); null until every
 * tissue window is final.
 */
export function getDenseSlideScore(
  heatmap: { values: Float32Array; cells: Int32Array; done: number; total: number } | null,
  slideScoreMethod: string,
): (SlideScore & { windows: number }) | null {
  if (!heatmap || heatmap.total === 0 || heatmap.done < heatmap.total) return null;
  const probs = Float32Array.from(heatmap.cells, (c) => heatmap.values[c]);
  return { ...getSlideScore(probs, getSlideScoreRule(slideScoreMethod)), windows: heatmap.total };
}

export interface LabelAgreement {
  column: string;
  positiveClasses: string[];
  /** labelled spots with a score */
  n: number;
  positives: number;
  auc: number;
  ap: number;
}

/**
 * How the current scores separate a categorical annotation that names cancer classes (a
 * pathologist's labels dropped with the counts, e.g. HER2ST's labelled coordinates or SEDR's
 * Visium regions): ROC AUC and AP as `fusescope evaluate` computes them. The column called
 * 'label' first, else the first whose classes name cancer; null when none does or one class is missing.
 */
export function getLabelAgreement(values: ArrayLike<number>, annotations: Record<string, AnnotationColumn>): LabelAgreement | null {
  const names = Object.keys(annotations).sort((a, b) => Number(b.toLowerCase() === 'label') - Number(a.toLowerCase() === 'label'));
  for (const column of names) {
    const col = annotations[column];
    if (col.kind !== 'categorical' || col.codes.length !== values.length) continue;
    let pos: Set<string>;
    try {
      pos = getPositiveClasses(col.categories);
    } catch {
      continue;
    }
    const v: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < values.length; i++) {
      const k = col.codes[i];
      if (k < 0 || !Number.isFinite(values[i])) continue;
      v.push(values[i]);
      y.push(pos.has(col.categories[k]) ? 1 : 0);
    }
    const positives = y.reduce((a, b) => a + b, 0);
    if (positives === 0 || positives === y.length) continue;
    return { column, positiveClasses: [...pos], n: y.length, positives, auc: getRocAuc(v, y), ap: getAveragePrecision(v, y) };
  }
  return null;
}

export interface RegionRow {
  /** index into the regions' polygons */
  index: number;
  /** level-0 px^2 and px; mm^2 and mm when the um/px is known */
  areaPx2: number;
  areaMm2: number | null;
  maxDiameterMm: number | null;
  /** mean score of the field inside the region */
  meanValue: number;
  /** the exterior ring's bounding box, level-0 px */
  bounds: { x: number; y: number; width: number; height: number };
}

/** The regions largest first (at most `limit`), with what the region list shows and zooms to. */
export function getRegionRows(regions: CancerRegions, mpp: number | null, limit = 8): RegionRow[] {
  const order = Array.from(regions.areasPx2.keys()).sort((a, b) => regions.areasPx2[b] - regions.areasPx2[a]);
  return order.slice(0, limit).map((i) => {
    const b = getRingBounds(regions.polygons[i][0]);
    return {
      index: i,
      areaPx2: regions.areasPx2[i],
      areaMm2: mpp ? (regions.areasPx2[i] * mpp * mpp) / 1e6 : null,
      maxDiameterMm: mpp ? (regions.maxDiametersPx[i] * mpp) / 1000 : null,
      meanValue: regions.meanValues[i],
      bounds: { x: b.x0, y: b.y0, width: b.x1 - b.x0, height: b.y1 - b.y0 },
    };
  });
}
