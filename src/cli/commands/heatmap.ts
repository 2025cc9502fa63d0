/**
 * `fusescope heatmap --slide <slide> [--model <dir>] [--mpp M] --out heatmap.png [--geojson regions.json] [--json]`
 * The histology-only student over a sliding window on the tissue (the same src/core code as the
 * browser): a PNG of the probability raster (magma, one pixel per window position, transparent
 * outside tissue), cancer regions as QuPath-importable GeoJSON (level-0 px), and with --json the
 * whole-slide numbers `{slideScore, cancerFraction, cancerAreaMm2, tissueAreaMm2, ...}` on stdout.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { loadNodeModel } from '../../core/model/node-model.ts';
import { getCommandArgs, isHelpAsked } from '../args.ts';
import { runHeatmapCase } from '../case/heatmap-case.ts';
import { getDefaultModelDir, parseOrientations, parsePositive } from '../model-options.ts';

export const HEATMAP_USAGE =
  'usage: fusescope heatmap --slide <slide> [--model <dir>] [--mpp <um/px>] [--threshold <0-1>] [--min-region-um2 <n>] [--orientations 1|2|4|8] [--batch <n>] --out heatmap.png [--geojson regions.json] [--annotations pathologist.geojson [--positive "a,b"]] [--json]';

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
      annotations: { type: 'string' },
      positive: { type: 'string' },
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
  try {
    const r = await runHeatmapCase(
      model,
      {
        slide: slidePath,
        mpp: userMpp,
        threshold,
        minRegionUm2,
        views,
        userViews: userViews !== undefined,
        batchSize,
        png: !!v.out,
        geojson: !!v.geojson,
        annotations: v.annotations ? { text: await readFile(v.annotations, 'utf8'), name: basename(v.annotations), positive: v.positive?.split(',').filter((p) => p.trim() !== '') } : undefined,
      },
      log,
    );
    if (v.out && r.png) {
      await writeFile(v.out, r.png);
      log(`wrote ${v.out} (${r.summary.raster.width} x ${r.summary.raster.height}, one pixel = ${r.summary.raster.cellPx.toFixed(1)} level-0 px)`);
    }
    if (v.geojson && r.geojson) {
      await writeFile(v.geojson, r.geojson);
      log(`wrote ${r.summary.regions} regions to ${v.geojson}`);
    }
    log(`heatmap: ${r.summary.windows} windows in ${(r.runMs / 1000).toFixed(1)} s, total ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    if (v.json) process.stdout.write(`${JSON.stringify(r.summary, null, 2)}\n`);
    return 0;
  } finally {
    await model.release();
  }
}
