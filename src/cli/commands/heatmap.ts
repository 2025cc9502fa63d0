/**
 * `fusescope heatmap --slide <slide> [--model <dir>] [--mpp M] --out heatmap.png [--geojson regions.json] [--json]`
 * The histology-only student over a sliding window on the tissue (the same src/core code as the
 * browser): a PNG of the probability raster (magma, one pixel per window position, transparent
 * outside tissue), cancer regions as QuPath-importable GeoJSON (level-0 px), and with --json the
 * whole-slide numbers `{slideScore, cancerFraction, cancerAreaMm2, tissueAreaMm2, ...}` on stdout.
 */
import { getCommandArgs, isHelpAsked } from '../args.ts';
import { writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { createNodeCodec } from '../../core/image/node/sharp-codec.ts';
import { getHeatmapSummary, loadHeatmapPlan, runHeatmap } from '../../core/model/heatmap.ts';
import { ASSUMED_MPP, getMppResolution } from '../../core/model/mpp.ts';
import { loadNodeModel } from '../../core/model/node-model.ts';
import { getRegionsGeoJson } from '../../core/regions/contours.ts';
import { getRasterRgba } from '../../core/regions/raster-image.ts';
import { openNodeSlideInput } from '../../core/slide/bytes/node-file-source.ts';
import { loadSlide } from '../../core/slide/load-slide.ts';
import { createProgressWriter, getDefaultModelDir, parseOrientations, parsePositive } from '../model-options.ts';

export const HEATMAP_USAGE =
  'usage: fusescope heatmap --slide <slide> [--model <dir>] [--mpp <um/px>] [--threshold <0-1>] [--min-region-um2 <n>] [--orientations 1|2|4|8] [--batch <n>] --out heatmap.png [--geojson regions.json] [--json]';

export async function run(argv: string[]): Promise<number> {
  const parsed = getCommandArgs(
    argv,
    {
      slide: { type: 'string' },
      model: { type: 'string' },
      mpp: { type: 'string' },
      threshold: { type: 'string' },
      'min-region-um2': { type: 'string' },
      orientations: { type: 'string' },
      batch: { type: 'string' },
      out: { type: 'string', short: 'o' },
      geojson: { type: 'string' },
      json: { type: 'boolean' },
    },
    HEATMAP_USAGE,
  );
  const v = parsed.values;
  if (isHelpAsked(v, HEATMAP_USAGE)) return 0;
  const slidePath = v.slide ?? (parsed.positionals.length === 1 ? parsed.positionals[0] : undefined);
  if (!slidePath) throw new Error(`--slide is required (${HEATMAP_USAGE})`);
  if (!v.out && !v.geojson && !v.json) throw new Error(`give at least one of --out, --geojson, --json (${HEATMAP_USAGE})`);
  if (v.out && !/\.png$/i.test(v.out)) throw new Error(`--out must name a .png file, got '${v.out}'`);
  const userMpp = parsePositive('mpp', v.mpp);
  const batchSize = parsePositive('batch', v.batch);
  const userViews = parseOrientations(v.orientations);
  let threshold: number | undefined;
  if (v.threshold !== undefined) {
    threshold = Number(v.threshold);
    if (!(threshold >= 0 && threshold <= 1)) throw new Error(`--threshold must be a number in [0, 1], got '${v.threshold}'`);
  }
  let minRegionUm2: number | undefined;
  if (v['min-region-um2'] !== undefined) {
    minRegionUm2 = Number(v['min-region-um2']);
    if (!(minRegionUm2 >= 0)) throw new Error(`--min-region-um2 must be a number >= 0 (0 keeps every region), got '${v['min-region-um2']}'`);
  }
  const t0 = performance.now();
  const log = (s: string) => process.stderr.write(`${s}\n`);

  const modelDir = v.model ?? getDefaultModelDir();
  const { model } = await loadNodeModel(modelDir);
  log(`model: ${model.manifest.name} ${model.manifest.version} (${modelDir}), ${model.runtimeName}`);
  const views = userViews ?? model.manifest.histology.orientations;
  const slide = await loadSlide(await openNodeSlideInput(slidePath), { codec: createNodeCodec() });
  try {
    const res = getMppResolution({ slide: slide.meta, userMpp });
    log(`um/px: ${res.detail}`);
    // A plain image without --mpp: a 20x scan (0.5 um/px) is the common case, and a map at a
    // slightly wrong scale helps more than no map; say so loudly, areas in mm2 depend on it.
    const mpp = res.mpp ?? ASSUMED_MPP;
    if (!res.mpp) log(`warning: ${slide.meta.name} has no um/px: assuming ${ASSUMED_MPP} um/px (a 20x scan); pass --mpp with the scan's real value for correct scale and areas`);
    const plan = await loadHeatmapPlan(slide, model.manifest, mpp);
    const r = plan.raster;
    log(
      `tissue: ${plan.cells.length} of ${r.width * r.height} windows (saturation >= ${plan.tissue.saturationThreshold.toFixed(3)}, ${plan.tissue.thresholdSource}); window ${model.patchPx} px at ${model.manifest.histology.mpp} um/px from level ${plan.patch.level}, stride ${r.cellPx.toFixed(1)} level-0 px`,
    );
    if (plan.patch.scale < 0.5) {
      log(`warning: the slide (${mpp.toFixed(3)} um/px) is more than 2x coarser than the model's ${model.manifest.histology.mpp} um/px: windows are upsampled ${(1 / plan.patch.scale).toFixed(1)}x and scores are unreliable`);
    }
    const progress = createProgressWriter('heatmap');
    const tRun = performance.now();
    log(`histology: ${views === 1 ? 'upright windows only' : `each window averaged over ${views} orientations (log-odds)`}${userViews ? ' (--orientations)' : ''}`);
    await runHeatmap(plan, model, slide, { batchSize, orientations: views, onProgress: (d, t) => progress.update(d, t, 'windows') });
    progress.end();
    const runMs = performance.now() - tRun;
    const summary = getHeatmapSummary(plan, model.manifest, threshold, minRegionUm2);
    const d = summary.regions.dropped;
    log(`threshold: ${summary.threshold.threshold.toFixed(4)} (${summary.threshold.detail}); ${summary.regions.polygons.length} regions`);
    if (summary.minRegionUm2 > 0) {
      log(
        `regions: smaller than ${Math.round(summary.minRegionUm2)} um^2 ${minRegionUm2 === undefined ? "(the model's field of view; --min-region-um2 0 keeps all)" : '(--min-region-um2)'}: ${d.regions} left out (${((d.areaPx2 * mpp * mpp) / 1e6).toFixed(4)} mm^2), ${d.holes} holes filled`,
      );
    }
    log(`slideScore: ${summary.slideScoreRule}`);
    if (v.out) {
      const img = getRasterRgba(r);
      await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width: img.width, height: img.height, channels: 4 } })
        .png()
        .toFile(v.out);
      log(`wrote ${v.out} (${img.width} x ${img.height}, one pixel = ${r.cellPx.toFixed(1)} level-0 px)`);
    }
    if (v.geojson) {
      await writeFile(v.geojson, JSON.stringify(getRegionsGeoJson(summary.regions, mpp)));
      log(`wrote ${summary.regions.polygons.length} regions to ${v.geojson}`);
    }
    log(`heatmap: ${plan.cells.length} windows in ${(runMs / 1000).toFixed(1)} s, total ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    if (v.json) {
      const out = {
        slideScore: summary.slideScore,
        cancerFraction: summary.cancerFraction,
        cancerAreaMm2: summary.cancerAreaMm2,
        tissueAreaMm2: summary.tissueAreaMm2,
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
      };
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    }
    return 0;
  } finally {
    slide.close();
    await model.release();
  }
}
