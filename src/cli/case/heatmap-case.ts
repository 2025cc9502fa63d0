/**
 * The dense histology-only heatmap of one slide from a file on disk: what `fusescope heatmap`
 * writes and what `fusescope cohort` runs per slide, on a model loaded once by the caller.
 */
import sharp from 'sharp';
import { getHeatmapSummary, loadHeatmapPlan, runHeatmap } from '../../core/model/heatmap.ts';
import type { FuseModel } from '../../core/model/model.ts';
import { ASSUMED_MPP, getMppResolution } from '../../core/model/mpp.ts';
import { getAnnotations, getRasterAgreement, type RasterAgreement } from '../../core/regions/annotations.ts';
import { getRegionsGeoJson } from '../../core/regions/contours.ts';
import { getPositiveClasses } from '../../core/st/labels.ts';
import { getRasterRgba } from '../../core/regions/raster-image.ts';
import type { MppSource, SlideSource } from '../../core/slide/types.ts';
import { createProgressWriter } from '../model-options.ts';
import { loadCliSlide } from './open-slide.ts';

export interface HeatmapCaseInput {
  slide: string;
  /** the slide already open (a cohort case that also scores its spots): used, not closed */
  openSlide?: SlideSource;
  mpp?: number;
  /** a fixed threshold instead of the manifest's label-free method */
  threshold?: number;
  /** the region size filter's minimum (default: the model's field of view) */
  minRegionUm2?: number;
  views: 1 | 2 | 4 | 8;
  userViews?: boolean;
  batchSize?: number;
  /** a pathologist's annotations (QuPath GeoJSON) to measure the heatmap against */
  annotations?: { text: string; name: string; positive?: string[] };
  /** what to make besides the numbers */
  png?: boolean;
  geojson?: boolean;
}

/** `heatmap --json`'s object */
export interface HeatmapCaseSummary {
  slideScore: number;
  cancerFraction: number;
  cancerAreaMm2: number;
  tissueAreaMm2: number;
  /** greatest dimension of any region, mm (maximum Feret diameter) */
  maxRegionDiameterMm: number;
  threshold: number;
  thresholdMethod: string;
  slideScoreRule: string;
  regions: number;
  minRegionUm2: number;
  regionsLeftOut: number;
  holesFilled: number;
  windows: number;
  mpp: number;
  mppSource: MppSource | 'assumed';
  raster: { width: number; height: number; cellPx: number; originX: number; originY: number };
  model: string;
  /** what the user should know about these numbers (no um/px, a coarse scan, not H&E) */
  warnings: string[];
  /** agreement with the annotations given (core/regions/annotations.ts), else null */
  annotation: (RasterAgreement & { file: string; positiveClasses: string[]; classes: string[] }) | null;
}

export interface HeatmapCaseResult {
  summary: HeatmapCaseSummary;
  /** the probability raster as a PNG (magma, transparent outside tissue), when asked */
  png: Buffer | null;
  /** the regions as QuPath-importable GeoJSON text, when asked */
  geojson: string | null;
  warnings: string[];
  runMs: number;
}

/** Computes one slide's heatmap; `log` gets the lines heatmap prints on stderr. */
export async function runHeatmapCase(model: FuseModel, input: HeatmapCaseInput, log: (s: string) => void): Promise<HeatmapCaseResult> {
  const { views } = input;
  const warnings: string[] = [];
  const warn = (w: string) => {
    warnings.push(w);
    log(`warning: ${w}`);
  };
  // the annotations first: a file that is not one fails before the slide is scored
  const annotations = input.annotations ? getAnnotations(input.annotations.text, input.annotations.name) : null;
  const positive = annotations && input.annotations ? getPositiveClasses(annotations.classes, input.annotations.positive) : null;
  const slide = input.openSlide ?? (await loadCliSlide(input.slide));
  try {
    const res = getMppResolution({ slide: slide.meta, userMpp: input.mpp });
    log(`um/px: ${res.detail}`);
    // A plain image without --mpp: a 20x scan (0.5 um/px) is the common case, and a map at a
    // slightly wrong scale helps more than no map; say so loudly, areas in mm2 depend on it.
    const mpp = res.mpp ?? ASSUMED_MPP;
    if (!res.mpp) warn(`${slide.meta.name} has no um/px: assuming ${ASSUMED_MPP} um/px (a 20x scan); pass --mpp with the scan's real value for correct scale and areas`);
    const plan = await loadHeatmapPlan(slide, model.manifest, mpp);
    if (plan.tissue.stain.problem) warn(`${slide.meta.name} ${plan.tissue.stain.problem}`);
    const r = plan.raster;
    log(
      `tissue: ${plan.cells.length} of ${r.width * r.height} windows (saturation >= ${plan.tissue.saturationThreshold.toFixed(3)}, ${plan.tissue.thresholdSource}); window ${model.patchPx} px at ${model.manifest.histology.mpp} um/px from level ${plan.patch.level}, stride ${r.cellPx.toFixed(1)} level-0 px`,
    );
    if (plan.patch.scale < 0.5) {
      warn(`the slide (${mpp.toFixed(3)} um/px) is more than 2x coarser than the model's ${model.manifest.histology.mpp} um/px: windows are upsampled ${(1 / plan.patch.scale).toFixed(1)}x and scores are unreliable`);
    }
    const progress = createProgressWriter('heatmap');
    const tRun = performance.now();
    log(`histology: ${views === 1 ? 'upright windows only' : `each window averaged over ${views} orientations (log-odds)`}${input.userViews ? ' (--orientations)' : ''}`);
    await runHeatmap(plan, model, slide, { batchSize: input.batchSize, orientations: views, onProgress: (d, t) => progress.update(d, t, 'windows') });
    progress.end();
    const runMs = performance.now() - tRun;
    const summary = getHeatmapSummary(plan, model.manifest, input.threshold, input.minRegionUm2);
    const d = summary.regions.dropped;
    log(`threshold: ${summary.threshold.threshold.toFixed(4)} (${summary.threshold.detail}); ${summary.regions.polygons.length} regions`);
    if (summary.minRegionUm2 > 0) {
      log(
        `regions: smaller than ${Math.round(summary.minRegionUm2)} um^2 ${input.minRegionUm2 === undefined ? "(the model's field of view; --min-region-um2 0 keeps all)" : '(--min-region-um2)'}: ${d.regions} left out (${((d.areaPx2 * mpp * mpp) / 1e6).toFixed(4)} mm^2), ${d.holes} holes filled`,
      );
    }
    log(`slideScore: ${summary.slideScoreRule}`);
    let annotation: HeatmapCaseSummary['annotation'] = null;
    if (annotations && positive && input.annotations) {
      const a = annotations;
      const pos = positive;
      const agreement = getRasterAgreement(r, plan.cells, a, pos, summary.threshold.threshold, res.mpp);
      annotation = { file: input.annotations.name, positiveClasses: [...pos].sort(), classes: a.classes, ...agreement };
      const f = (v: number | null) => (v === null ? 'n/a' : v.toFixed(3));
      log(
        `annotations: ${a.shapes.length} polygons in ${input.annotations.name} (${a.classes.join(', ')}; cancer = ${annotation.positiveClasses.join(' + ')}): ${agreement.windowsInside} of ${agreement.windows} tissue windows inside; window AUC ${f(agreement.auc)}, at the threshold Dice ${f(agreement.dice)}, sensitivity ${f(agreement.sensitivity)}, precision ${f(agreement.precision)}`,
      );
      if (agreement.windowsInside === 0) warn(`no tissue window lies in a ${annotation.positiveClasses.join(' / ')} annotation of ${input.annotations.name}: are the annotations from this slide, in its level-0 pixels?`);
    }
    let png: Buffer | null = null;
    if (input.png) {
      const img = getRasterRgba(r);
      png = await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width: img.width, height: img.height, channels: 4 } })
        .png()
        .toBuffer();
    }
    return {
      summary: {
        slideScore: summary.slideScore,
        cancerFraction: summary.cancerFraction,
        cancerAreaMm2: summary.cancerAreaMm2,
        tissueAreaMm2: summary.tissueAreaMm2,
        maxRegionDiameterMm: summary.maxRegionDiameterMm,
        threshold: summary.threshold.threshold,
        thresholdMethod: summary.threshold.method,
        slideScoreRule: summary.slideScoreRule,
        regions: summary.regions.polygons.length,
        minRegionUm2: summary.minRegionUm2,
        regionsLeftOut: d.regions,
        holesFilled: d.holes,
        windows: summary.windows,
        mpp,
        mppSource: res.mpp ? res.source : 'assumed',
        raster: { width: r.width, height: r.height, cellPx: r.cellPx, originX: r.originX, originY: r.originY },
        model: `${model.manifest.name} ${model.manifest.version}`,
        warnings,
        annotation,
      },
      png,
      geojson: input.geojson ? JSON.stringify(getRegionsGeoJson(summary.regions, mpp)) : null,
      warnings,
      runMs,
    };
  } finally {
    if (!input.openSlide) slide.close();
  }
}
