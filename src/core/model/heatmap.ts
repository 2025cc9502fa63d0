/**
 * Dense histology-only heatmap: the histology head (the distilled image-only student) over a
 * sliding window on the tissue. The raster has one cell per window position (cell side = the
 * manifest's window stride at the model's um/px; the window of patchPx is centred on the cell).
 * A cell is tissue when at least half of it is tissue in the thumbnail mask. Windows are computed
 * in any priority order (the browser passes the viewport first), batch by batch, cancellable.
 * Each window's probability is averaged over the manifest's orientations (orientations.ts); with
 * `preview` every window gets its upright value first and the other views follow.
 */
import { getCancerRegions, getMinRegionUm2, getRegionSizeFilter, type CancerRegions } from '../regions/contours.ts';
import { getCellCentre, type ProbabilityRaster } from '../regions/raster.ts';
import { loadTissueMask, type TissueMask } from '../regions/tissue.ts';
import { getLabelFreeThreshold, type ThresholdResult } from '../score/threshold.ts';
import type { SlideSource } from '../slide/types.ts';
import type { ModelManifest } from './manifest.ts';
import type { FuseModel } from './model.ts';
import { getLogOdds, getOrientationCount, getOrientedProb, loadViewLogOddsSum } from './orientations.ts';
import { getPatchGeometry, type PatchGeometry, readPatchBatch } from './patch.ts';
import { getSlideScore, getSlideScoreRule } from './slide-score.ts';

export { getPercentile, getSlideScoreRule } from './slide-score.ts';

export interface HeatmapPlan {
  /** um per level-0 px used */
  mpp: number;
  patch: PatchGeometry;
  tissue: TissueMask;
  /** values NaN until computed; non-tissue cells stay NaN */
  raster: ProbabilityRaster;
  /** raster indices of the tissue cells, row-major order */
  cells: Int32Array;
  /** per raster cell: 1 once its value is final (averaged over every view), 0 while it is missing or an upright preview */
  final: Uint8Array;
  /** area of the tissue cells on the slide (overhang past its edge excluded), level-0 px^2 */
  tissueAreaPx2: number;
  /** the slide's level-0 size: regions are clipped to it */
  bounds: { width: number; height: number };
}

/** Tissue mask + window grid. `mpp` is the slide's um per level-0 px (see getMppResolution). */
export async function loadHeatmapPlan(slide: SlideSource, manifest: ModelManifest, mpp: number, signal?: AbortSignal): Promise<HeatmapPlan> {
  const h = manifest.histology;
  const patch = getPatchGeometry(slide.meta, mpp, h.patchPx, h.mpp);
  const tissue = await loadTissueMask(slide, mpp, h.tissue, signal);
  const cellPx = h.window.stridePx * patch.l0PerPatchPx;
  const width = Math.max(1, Math.ceil(slide.meta.width / cellPx));
  const height = Math.max(1, Math.ceil(slide.meta.height / cellPx));
  const raster: ProbabilityRaster = { width, height, originX: 0, originY: 0, cellPx, values: new Float32Array(width * height).fill(Number.NaN) };
  const isTissue = new Uint8Array(width * height);
  const mc = tissue.cellPx;
  let count = 0;
  let areaPx2 = 0;
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      const x0 = col * cellPx;
      const y0 = row * cellPx;
      // mask pixels whose centres fall inside the cell
      const mx0 = Math.max(0, Math.ceil(x0 / mc - 0.5));
      const mx1 = Math.min(tissue.width, Math.ceil((x0 + cellPx) / mc - 0.5));
      const my0 = Math.max(0, Math.ceil(y0 / mc - 0.5));
      const my1 = Math.min(tissue.height, Math.ceil((y0 + cellPx) / mc - 0.5));
      let inside = 0;
      let tissuePx = 0;
      for (let my = my0; my < my1; my++) {
        for (let mx = mx0; mx < mx1; mx++) {
          inside++;
          tissuePx += tissue.mask[my * tissue.width + mx];
        }
      }
      let yes: boolean;
      if (inside > 0) yes = tissuePx * 2 >= inside;
      else {
        const mx = Math.min(tissue.width - 1, Math.floor((x0 + cellPx / 2) / mc));
        const my = Math.min(tissue.height - 1, Math.floor((y0 + cellPx / 2) / mc));
        yes = tissue.mask[my * tissue.width + mx] === 1;
      }
      if (yes) {
        isTissue[row * width + col] = 1;
        count++;
        // the last column / row of cells overhangs the slide: count only the part on it
        areaPx2 += (Math.min(x0 + cellPx, slide.meta.width) - x0) * (Math.min(y0 + cellPx, slide.meta.height) - y0);
      }
    }
  }
  const cells = new Int32Array(count);
  let j = 0;
  for (let i = 0; i < isTissue.length; i++) if (isTissue[i]) cells[j++] = i;
  return { mpp, patch, tissue, raster, cells, final: new Uint8Array(width * height), tissueAreaPx2: areaPx2, bounds: { width: slide.meta.width, height: slide.meta.height } };
}

export interface HeatmapRunOptions {
  /** raster cell indices in the order to compute (e.g. visible first); other tissue cells follow */
  order?: ArrayLike<number>;
  /** windows per batch (default 32) */
  batchSize?: number;
  /** views averaged per window (manifest `histology.orientations` when not given; see orientations.ts) */
  orientations?: number;
  /**
   * With more than one view: first an upright value for every window (stage 'windows'), then the
   * other views window by window (stage 'views', same order, patches read again), so the whole
   * map is seen early. Otherwise each window gets its final value at once (stage 'windows').
   */
  preview?: boolean;
  /** skip cells whose value is final, and in preview keep the upright values already there (resume after a cancel) */
  resume?: boolean;
  signal?: AbortSignal;
  onBatch?: (cells: Int32Array, probs: Float32Array, stage: HeatmapStage) => void;
  onProgress?: (done: number, total: number, stage: HeatmapStage) => void;
}

export type HeatmapStage = 'windows' | 'views';

/** Run the histology head over the plan's tissue windows, writing into `plan.raster.values`. */
export async function runHeatmap(plan: HeatmapPlan, model: FuseModel, slide: SlideSource, opts: HeatmapRunOptions = {}): Promise<ProbabilityRaster> {
  const { raster, cells, final } = plan;
  const batchSize = Math.max(1, opts.batchSize ?? 32);
  const views = getOrientationCount(opts.orientations ?? model.manifest.histology.orientations);
  const preview = Boolean(opts.preview) && views > 1;
  if (!opts.resume) {
    final.fill(0);
    raster.values.fill(Number.NaN);
  }
  const isCell = new Uint8Array(raster.width * raster.height);
  for (const c of cells) isCell[c] = 1;
  const queued = new Uint8Array(raster.width * raster.height);
  const order: number[] = [];
  const push = (c: number) => {
    if (c >= 0 && c < isCell.length && isCell[c] && !queued[c] && !final[c]) {
      queued[c] = 1;
      order.push(c);
    }
  };
  if (opts.order) for (let i = 0; i < opts.order.length; i++) push(opts.order[i]);
  for (const c of cells) push(c);
  const { mean, std } = model.manifest.histology;
  const read = (batch: Int32Array) => {
    const cx = new Float64Array(batch.length);
    const cy = new Float64Array(batch.length);
    for (let i = 0; i < batch.length; i++) [cx[i], cy[i]] = getCellCentre(raster, batch[i]);
    return readPatchBatch(slide, plan.patch, cx, cy, mean, std, opts.signal);
  };
  // one stage over `list`: read the next batch while the model runs on this one
  const runStage = async (stage: HeatmapStage, list: number[], compute: (batch: Int32Array, patches: Float32Array) => Promise<Float32Array>, isFinal: boolean) => {
    const total = list.length;
    const batchAt = (s: number) => Int32Array.from(list.slice(s, s + batchSize));
    const readAt = (s: number) => {
      const batch = batchAt(s);
      return read(batch).then((patches) => ({ batch, patches }));
    };
    let pending = total > 0 ? readAt(0) : null;
    try {
      for (let s = 0; s < total; s += batchSize) {
        opts.signal?.throwIfAborted();
        const { batch, patches } = await pending!;
        pending = s + batchSize < total ? readAt(s + batchSize) : null;
        const probs = await compute(batch, patches);
        for (let i = 0; i < batch.length; i++) {
          raster.values[batch[i]] = probs[i];
          if (isFinal) final[batch[i]] = 1;
        }
        opts.onBatch?.(batch, probs, stage);
        opts.onProgress?.(Math.min(total, s + batch.length), total, stage);
      }
    } finally {
      // a read still in flight after a cancel or error must not surface as an unhandled rejection
      pending?.catch(() => {});
    }
  };
  if (!preview) {
    await runStage('windows', order, (batch, patches) => loadWindowProbs(model, patches, batch.length, views, opts.signal), true);
    return raster;
  }
  await runStage(
    'windows',
    order.filter((c) => Number.isNaN(raster.values[c])),
    async (batch, patches) => Float32Array.from((await model.runHistology(patches, batch.length)).prob),
    false,
  );
  await runStage(
    'views',
    order,
    async (batch, patches) => {
      const sum = await loadViewLogOddsSum(model, patches, batch.length, 1, views, opts.signal);
      return Float32Array.from(sum, (v, i) => getOrientedProb(v + getLogOdds(raster.values[batch[i]]), views));
    },
    true,
  );
  return raster;
}

/** Histology probabilities of n windows, averaged over `views` orientations in log-odds. */
async function loadWindowProbs(model: FuseModel, patches: Float32Array, n: number, views: number, signal?: AbortSignal): Promise<Float32Array> {
  if (views === 1) return Float32Array.from((await model.runHistology(patches, n)).prob);
  const sum = await loadViewLogOddsSum(model, patches, n, 0, views, signal);
  return Float32Array.from(sum, (v) => getOrientedProb(v, views));
}

export interface HeatmapSummary {
  slideScore: number;
  cancerFraction: number;
  cancerAreaMm2: number;
  tissueAreaMm2: number;
  /** the greatest dimension of any region in mm (maximum Feret diameter; 0 without regions) */
  maxRegionDiameterMm: number;
  /** how slideScore was computed */
  slideScoreRule: string;
  threshold: ThresholdResult;
  regions: CancerRegions;
  /** the size filter's minimum region and hole, um^2 */
  minRegionUm2: number;
  windows: number;
}

/**
 * Whole-slide numbers from a computed raster. `threshold` overrides the manifest's label-free
 * method with a fixed value; `minRegionUm2` the size filter's minimum (default getMinRegionUm2;
 * 0 keeps every region and hole).
 */
export function getHeatmapSummary(plan: HeatmapPlan, manifest: ModelManifest, threshold?: number, minRegionUm2 = getMinRegionUm2(manifest)): HeatmapSummary {
  const probs = Float32Array.from(plan.cells, (c) => plan.raster.values[c]);
  const t: ThresholdResult =
    threshold !== undefined
      ? { threshold, method: 'fallback', detail: `fixed threshold ${threshold} given by the user`, gmm: null }
      : getLabelFreeThreshold(probs, manifest.threshold.method, manifest.threshold.fallback);
  const regions = getCancerRegions(plan.raster, t.threshold, plan.bounds, getRegionSizeFilter(minRegionUm2, plan.mpp));
  const { score: slideScore, ruleText } = getSlideScore(probs, getSlideScoreRule(manifest.slideScore.method));
  const mm2 = (plan.mpp * plan.mpp) / 1e6;
  const cancerAreaMm2 = regions.totalAreaPx2 * mm2;
  const tissueAreaMm2 = plan.tissueAreaPx2 * mm2;
  return {
    slideScore,
    cancerFraction: tissueAreaMm2 > 0 ? Math.min(1, cancerAreaMm2 / tissueAreaMm2) : 0,
    cancerAreaMm2,
    tissueAreaMm2,
    maxRegionDiameterMm: regions.maxDiametersPx.length ? (Math.max(...regions.maxDiametersPx) * plan.mpp) / 1000 : 0,
    slideScoreRule: ruleText,
    threshold: t,
    regions,
    minRegionUm2,
    windows: plan.cells.length,
  };
}
