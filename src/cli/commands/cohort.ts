/**
 * `fusescope cohort --cases cases.csv --out-dir results/`: the same scores as `predict`,
 * `heatmap` and `evaluate`, for every case of a table, with the model loaded once.
 *
 * Per case (files named after the case): `<case>.scores.csv` (predict's rows) and
 * `<case>.markers.csv` (the genes that mark its cancer calls, as `markers`) when it has ST files;
 * `<case>.heatmap.png` and `<case>.regions.geojson` for a slide without ST or with annotations
 * to measure (`annotations` column), or every slide with `--heatmap always`; the metrics against `labels` when given; `<case>.json`, the record
 * the summary is made from. The folder also gets `summary.csv` (one row per case, with the table's
 * own extra columns) and `summary.json` (model, options, every record).
 *
 * A case that fails is recorded with its error and the run goes on (exit 1 at the end). A rerun
 * skips cases whose record says done with the same inputs (file sizes and times), model and
 * options, so an interrupted cohort resumes; `--force` recomputes all. Files are written to a
 * temporary name and renamed, so an interrupted case leaves nothing that looks finished.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { FuseModel } from '../../core/model/model.ts';
import type { SlideSource } from '../../core/slide/types.ts';
import { loadNodeModel } from '../../core/model/node-model.ts';
import { getCsvField } from '../../core/st/text/delimited.ts';
import { getCommandArgs, isHelpAsked } from '../args.ts';
import { type CohortCase, getCohortTable } from '../case/cohort-table.ts';
import { type HeatmapCaseSummary, runHeatmapCase } from '../case/heatmap-case.ts';
import { getMarkersCsv } from '../../core/st/markers.ts';
import { getCaseMarkers } from '../case/markers-case.ts';
import { loadCliSlide } from '../case/open-slide.ts';
import { runPredictCase } from '../case/predict-case.ts';
import { getDefaultModelDir, getModelWithSmoothing, parseOrientations, parsePositive, parseSmoothing } from '../model-options.ts';
import { type EvaluateResult, getEvaluation } from './evaluate.ts';

export const COHORT_USAGE =
  'usage: fusescope cohort --cases <cases.csv|.tsv> --out-dir <dir> [--model <dir>] [--heatmap auto|always|never] [--orientations 1|2|4|8] [--smoothing on|off] [--batch <n>] [--force]';

type HeatmapMode = 'auto' | 'always' | 'never';

/** What a case's record keeps; summary.csv is made from these. */
export interface CaseRecord {
  case: string;
  status: 'done' | 'failed';
  /** what the inputs, model and options were (a rerun skips a done case with the same) */
  fingerprint: string;
  inputs: { slide: string | null; st: string[]; labels: string | null; annotations: string | null; mpp: number | null; stScale: number | null; section: string | null; hdBinUm: number | null };
  extra: Record<string, string>;
  outputs: string[];
  predict: {
    spots: number;
    cancerSpots: number;
    cancerColumn: 'fused' | 'gene';
    threshold: number;
    geneCoverage: number;
    mpp: number | null;
    mppSource: string | null;
    platform: string;
  } | null;
  heatmap: {
    slideScore: number;
    cancerFraction: number;
    cancerAreaMm2: number;
    tissueAreaMm2: number;
    maxRegionDiameterMm: number;
    regions: number;
    threshold: number;
    mpp: number;
    mppSource: string;
    /** agreement with the case's annotations (heatmap --annotations), when given */
    annotation: HeatmapCaseSummary['annotation'];
  } | null;
  evaluation: Omit<EvaluateResult, 'labelsDetail'> | null;
  /** the first genes up in the spots called cancer (<case>.markers.csv has the rest) */
  topMarkers: string[];
  warnings: string[];
  error: string | null;
  seconds: number;
}

const SUMMARY_COLUMNS = [
  'status', 'spots', 'cancer_spots', 'cancer_column', 'gene_coverage', 'mpp', 'mpp_source',
  'slide_score', 'cancer_fraction', 'cancer_area_mm2', 'tissue_area_mm2', 'regions', 'max_region_diameter_mm',
  'annotation_window_auc', 'annotation_dice', 'annotation_sensitivity', 'annotation_precision',
  'top_markers', 'labelled_spots', 'auc_histology', 'auc_gene', 'auc_fused', 'ap_histology', 'ap_gene', 'ap_fused', 'f1_cancer',
  'seconds', 'warnings', 'error',
] as const;

function num(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '' : Number(v.toFixed(digits)).toString();
}

/** One summary.csv row of a record. */
export function getSummaryRow(r: CaseRecord, extraColumns: string[]): string[] {
  const p = r.predict;
  const h = r.heatmap;
  const e = r.evaluation;
  const mpp = p?.mpp ?? h?.mpp ?? null;
  const cells: Record<(typeof SUMMARY_COLUMNS)[number], string> = {
    status: r.status,
    spots: p ? String(p.spots) : '',
    cancer_spots: p ? String(p.cancerSpots) : '',
    cancer_column: p?.cancerColumn ?? '',
    gene_coverage: num(p?.geneCoverage),
    mpp: num(mpp),
    mpp_source: p?.mppSource ?? h?.mppSource ?? '',
    slide_score: num(h?.slideScore),
    cancer_fraction: num(h?.cancerFraction),
    cancer_area_mm2: num(h?.cancerAreaMm2),
    tissue_area_mm2: num(h?.tissueAreaMm2),
    regions: h ? String(h.regions) : '',
    max_region_diameter_mm: num(h?.maxRegionDiameterMm),
    annotation_window_auc: num(h?.annotation?.auc),
    annotation_dice: num(h?.annotation?.dice),
    annotation_sensitivity: num(h?.annotation?.sensitivity),
    annotation_precision: num(h?.annotation?.precision),
    top_markers: (r.topMarkers ?? []).join(' '),
    labelled_spots: e ? String(e.labelledSpots) : '',
    auc_histology: num(e?.columns.histology?.auc),
    auc_gene: num(e?.columns.gene?.auc),
    auc_fused: num(e?.columns.fused?.auc),
    ap_histology: num(e?.columns.histology?.ap),
    ap_gene: num(e?.columns.gene?.ap),
    ap_fused: num(e?.columns.fused?.ap),
    f1_cancer: num(e?.cancer?.f1),
    seconds: num(r.seconds, 1),
    warnings: String(r.warnings.length),
    error: r.error ?? '',
  };
  return [r.case, ...extraColumns.map((c) => r.extra[c] ?? ''), ...SUMMARY_COLUMNS.map((c) => cells[c])];
}

async function writeAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.partial`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** Sizes and modification times of the files under a path (a folder: its files, recursively). */
async function getPathStamp(path: string): Promise<string[]> {
  const s = await stat(path);
  if (!s.isDirectory()) return [`${path}:${s.size}:${Math.round(s.mtimeMs)}`];
  const out: string[] = [];
  for (const e of (await readdir(path)).sort()) out.push(...(await getPathStamp(join(path, e))));
  return out;
}

async function getFingerprint(c: CohortCase, modelId: string, options: object): Promise<string> {
  const paths = [c.slide, ...c.st, c.labels, c.annotations].filter((p): p is string => !!p);
  const stamps = (await Promise.all(paths.map(getPathStamp))).flat();
  const { line: _, extra: __, ...inputs } = c;
  return createHash('sha256').update(JSON.stringify({ inputs, stamps, modelId, options })).digest('hex').slice(0, 16);
}

async function loadRecord(path: string): Promise<CaseRecord | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as CaseRecord;
  } catch {
    return null;
  }
}

async function runCase(
  model: FuseModel,
  c: CohortCase,
  opts: { outDir: string; heatmap: HeatmapMode; views: 1 | 2 | 4 | 8; userViews: boolean; smoothingOff: boolean; batchSize?: number; fingerprint: string },
  log: (s: string) => void,
): Promise<CaseRecord> {
  const t0 = performance.now();
  const record: CaseRecord = {
    case: c.name,
    status: 'failed',
    fingerprint: opts.fingerprint,
    inputs: { slide: c.slide ?? null, st: c.st, labels: c.labels ?? null, annotations: c.annotations ?? null, mpp: c.mpp ?? null, stScale: c.stScale ?? null, section: c.section ?? null, hdBinUm: c.hdBinUm ?? null },
    extra: c.extra,
    outputs: [],
    predict: null,
    heatmap: null,
    evaluation: null,
    topMarkers: [],
    warnings: [],
    error: null,
    seconds: 0,
  };
  const out = (suffix: string) => join(opts.outDir, `${c.name}${suffix}`);
  // a slide whose spots are scored and whose heatmap is made is opened once for both
  const heatmap = !!c.slide && opts.heatmap !== 'never' && (opts.heatmap === 'always' || c.st.length === 0 || !!c.annotations);
  let slide: SlideSource | undefined;
  try {
    if (c.slide && heatmap && c.st.length > 0) slide = await loadCliSlide(c.slide);
    if (c.st.length > 0) {
      const p = await runPredictCase(model, { slide: c.slide, openSlide: slide, st: c.st, mpp: c.mpp, stScale: c.stScale, section: c.section, hdBinUm: c.hdBinUm, views: opts.views, userViews: opts.userViews, smoothingOff: opts.smoothingOff, batchSize: opts.batchSize }, log);
      await writeAtomic(out('.scores.csv'), p.csv);
      record.outputs.push(basename(out('.scores.csv')));
      record.warnings.push(...p.warnings);
      record.predict = { spots: p.spots, cancerSpots: p.cancerSpots, cancerColumn: p.cancerColumn, threshold: p.threshold, geneCoverage: p.geneCoverage, mpp: p.mpp, mppSource: p.mppSource, platform: p.platform };
      // the genes that mark this section's calls (needs both groups: a section all called one way has none)
      if (p.cancerSpots > 0 && p.cancerSpots < p.spots) {
        const m = getCaseMarkers(p.dataset, { scoresCsv: p.csv, scoresName: basename(out('.scores.csv')) });
        await writeAtomic(out('.markers.csv'), getMarkersCsv(m));
        record.outputs.push(basename(out('.markers.csv')));
        record.topMarkers = m.up.slice(0, 5).map((g) => g.symbol);
      }
      if (c.labels) {
        const e = getEvaluation(p.csv, basename(out('.scores.csv')), new Uint8Array(await readFile(c.labels)), basename(c.labels), c.positive);
        const { labelsDetail, ...evaluation } = e;
        log(`labels: ${labelsDetail}; cancer = ${e.positiveClasses.join(' + ')}; ${e.labelledSpots} of ${e.scoredSpots} spots labelled`);
        record.evaluation = evaluation;
      }
    }
    // a slide's heatmap: without ST by default, for every slide with --heatmap always, and whenever annotations are to be measured
    if (c.slide && heatmap) {
      const annotations = c.annotations ? { text: await readFile(c.annotations, 'utf8'), name: basename(c.annotations), positive: c.positive } : undefined;
      const h = await runHeatmapCase(model, { slide: c.slide, openSlide: slide, mpp: c.mpp, views: opts.views, userViews: opts.userViews, batchSize: opts.batchSize, png: true, geojson: true, annotations }, log);
      if (h.png) await writeAtomic(out('.heatmap.png'), h.png);
      if (h.geojson) await writeAtomic(out('.regions.geojson'), h.geojson);
      record.outputs.push(basename(out('.heatmap.png')), basename(out('.regions.geojson')));
      record.warnings.push(...h.warnings);
      const s = h.summary;
      record.heatmap = { slideScore: s.slideScore, cancerFraction: s.cancerFraction, cancerAreaMm2: s.cancerAreaMm2, tissueAreaMm2: s.tissueAreaMm2, maxRegionDiameterMm: s.maxRegionDiameterMm, regions: s.regions, threshold: s.threshold, mpp: s.mpp, mppSource: s.mppSource, annotation: s.annotation };
    }
    record.status = 'done';
  } catch (err) {
    record.error = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  } finally {
    slide?.close();
  }
  record.seconds = (performance.now() - t0) / 1000;
  await writeAtomic(out('.json'), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = getCommandArgs(
    argv,
    {
      cases: { type: 'string' },
      'out-dir': { type: 'string', short: 'o' },
      model: { type: 'string' },
      heatmap: { type: 'string' },
      orientations: { type: 'string' },
      smoothing: { type: 'string' },
      batch: { type: 'string' },
      force: { type: 'boolean' },
    },
    COHORT_USAGE,
    false,
  );
  const v = parsed.values;
  if (isHelpAsked(v, COHORT_USAGE)) return 0;
  if (!v.cases) throw new Error(`--cases is required (${COHORT_USAGE})`);
  if (!v['out-dir']) throw new Error(`--out-dir is required (${COHORT_USAGE})`);
  const heatmap = (v.heatmap ?? 'auto') as HeatmapMode;
  if (!['auto', 'always', 'never'].includes(heatmap)) throw new Error(`--heatmap must be auto (slides without ST, and slides with annotations), always or never, got '${v.heatmap}'`);
  const batchSize = parsePositive('batch', v.batch);
  const userViews = parseOrientations(v.orientations);
  const smoothing = parseSmoothing(v.smoothing);
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const tablePath = resolve(v.cases);
  if (!existsSync(tablePath)) throw new Error(`${tablePath}: no such file (the cases table: a CSV or TSV with a header line, one row per case).`);
  const table = getCohortTable(await readFile(tablePath, 'utf8'), basename(tablePath), dirname(tablePath));

  // every path first: a typo in the table is reported before hours of scoring, all at once
  const missing: string[] = [];
  for (const c of table.cases) {
    for (const p of [c.slide, ...c.st, c.labels, c.annotations]) if (p && !existsSync(p)) missing.push(`line ${c.line} (${c.name}): ${p}`);
  }
  if (missing.length) {
    const more = missing.length > 5 ? `; and ${missing.length - 5} more` : '';
    throw new Error(`${basename(tablePath)}: ${missing.length} file(s) not found: ${missing.slice(0, 5).join('; ')}${more}. Paths are relative to the table's folder.`);
  }

  const outDir = resolve(v['out-dir']);
  await mkdir(outDir, { recursive: true });
  const modelDir = v.model ?? getDefaultModelDir();
  const loaded = (await loadNodeModel(modelDir)).model;
  const model = getModelWithSmoothing(loaded, smoothing);
  const m = model.manifest;
  log(`model: ${m.name} ${m.version} (${modelDir}), ${model.runtimeName}`);
  const views = userViews ?? m.histology.orientations;
  // the ONNX files and every manifest setting (preprocessing, spot smoothing, threshold rule): a package
  // with the same ONNX files but other settings gives other scores, so its cases are computed again
  const manifestHash = createHash('sha256').update(JSON.stringify(m)).digest('hex').slice(0, 16);
  const modelId = `${m.name}@${m.version}:${m.files.map((f) => f.sha256).join(',')}:${manifestHash}`;
  const options = { heatmap, views };
  const records: CaseRecord[] = [];
  const t0 = performance.now();
  let skipped = 0;
  try {
    for (const [i, c] of table.cases.entries()) {
      const fingerprint = await getFingerprint(c, modelId, options);
      const recordPath = join(outDir, `${c.name}.json`);
      const prev = v.force ? null : await loadRecord(recordPath);
      if (prev && prev.status === 'done' && prev.fingerprint === fingerprint && prev.outputs.every((o) => existsSync(join(outDir, o)))) {
        log(`cohort: case ${i + 1}/${table.cases.length} ${c.name}: done before with the same inputs, model and options (${c.name}.json; --force recomputes)`);
        records.push({ ...prev, extra: c.extra });
        skipped++;
        continue;
      }
      log(`cohort: case ${i + 1}/${table.cases.length} ${c.name}`);
      const r = await runCase(model, c, { outDir, heatmap, views, userViews: userViews !== undefined, smoothingOff: smoothing === false && !!loaded.manifest.spotSmoothing, batchSize, fingerprint }, (s) => log(`  ${s}`));
      log(r.status === 'done' ? `cohort: ${c.name} done in ${r.seconds.toFixed(1)} s` : `cohort: ${c.name} FAILED: ${r.error}`);
      records.push(r);
    }
  } finally {
    await model.release();
  }

  const header = ['case', ...table.extraColumns, ...SUMMARY_COLUMNS];
  const rows = records.map((r) => getSummaryRow(r, table.extraColumns).map(getCsvField).join(','));
  await writeAtomic(join(outDir, 'summary.csv'), `${[header.map(getCsvField).join(','), ...rows].join('\n')}\n`);
  const summary = {
    fusescope: 'cohort',
    created: new Date().toISOString(),
    cases: basename(tablePath),
    model: { name: m.name, version: m.version, dir: modelDir, files: m.files.map((f) => ({ path: f.path, sha256: f.sha256 })) },
    options: { heatmap, orientations: views, threshold: m.threshold.method, spotSmoothing: m.spotSmoothing ?? null },
    records,
  };
  await writeAtomic(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const failed = records.filter((r) => r.status === 'failed');
  log(
    `cohort: ${records.length - failed.length} of ${records.length} cases done${skipped ? ` (${skipped} from an earlier run)` : ''}, ${failed.length} failed, in ${((performance.now() - t0) / 1000).toFixed(1)} s; wrote ${join(outDir, 'summary.csv')}`,
  );
  for (const r of failed) log(`cohort: failed: ${r.case}: ${r.error}`);
  return failed.length ? 1 : 0;
}
