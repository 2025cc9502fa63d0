/**
 * `fusescope evaluate --scores scores.csv --labels labels.tsv [--positive "a,b"] [--json]`: how
 * well `predict`'s columns separate the labelled cancer spots, by the model card's protocol (ROC
 * AUC and average precision of each probability column, precision / recall / F1 of the `cancer`
 * calls; core/score/metrics.ts computes them as scikit-learn does). Labels: a table with a spot id
 * and a label column, a HER2ST labelled-coordinates file (core/st/labels.ts), or a pathologist's
 * annotations as QuPath GeoJSON (each spot takes the class of the annotation it lies in).
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { getPositiveClasses, getSpotLabels } from '../../core/st/labels.ts';
import { getAnnotations, getClassesAt, OUTSIDE_CLASS } from '../../core/regions/annotations.ts';
import { getSpotCsvColumns, type SpotCsvColumns } from '../../core/score/spot-csv.ts';
import { type BinaryCallMetrics, getAveragePrecision, getBinaryCallMetrics, getRocAuc } from '../../core/score/metrics.ts';
import { getCommandArgs, isHelpAsked } from '../args.ts';

export const EVALUATE_USAGE = 'usage: fusescope evaluate --scores <predict output .csv> --labels <labels .tsv/.csv> [--positive "class a,class b"] [--json]';

const COLUMNS = ['histology', 'gene', 'fused'] as const;
type Column = (typeof COLUMNS)[number];

export interface ColumnMetrics {
  /** labelled spots with a value in this column */
  n: number;
  auc: number;
  ap: number;
}

export interface EvaluateResult {
  scoredSpots: number;
  labelledSpots: number;
  positives: number;
  positiveClasses: string[];
  negativeClasses: string[];
  /** label rows whose spot is not among the scores */
  labelsWithoutScore: number;
  columns: Record<Column, ColumnMetrics | null>;
  cancer: BinaryCallMetrics | null;
}

/** A QuPath GeoJSON export rather than a table: by its name, else by its first character. */
function isGeoJson(bytes: Uint8Array, name: string): boolean {
  if (/\.(geo)?json$/i.test(name)) return true;
  let i = 0;
  while (i < bytes.length && i < 64 && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09 || bytes[i] === 0xef || bytes[i] === 0xbb || bytes[i] === 0xbf)) i++;
  return bytes[i] === 0x7b || bytes[i] === 0x5b;
}

/** Spot labels from annotation polygons: the class of the smallest annotation each scored spot lies in. */
function getAnnotationLabels(sc: SpotCsvColumns, bytes: Uint8Array, name: string): { labels: Map<string, string>; detail: string } {
  const a = getAnnotations(new TextDecoder().decode(bytes), name);
  const classes = getClassesAt(a, sc.x, sc.y);
  const labels = new Map(sc.ids.map((id, i) => [id, classes[i]]));
  const skipped = a.skipped ? `; ${a.skipped} features that are not polygons left out` : '';
  return { labels, detail: `classes of the ${a.shapes.length} annotation polygons the spots lie in (${a.classes.join(', ')}; spots in none: '${OUTSIDE_CLASS}')${skipped}` };
}

/** The metrics of a predict output against labels (a table of spot labels, or annotation polygons as GeoJSON). */
export function getEvaluation(scoresCsv: string, scoresName: string, labelBytes: Uint8Array, labelsName: string, positive?: string[]): EvaluateResult & { labelsDetail: string } {
  const sc = getSpotCsvColumns(scoresCsv, scoresName);
  const { labels, detail } = isGeoJson(labelBytes, labelsName) ? getAnnotationLabels(sc, labelBytes, labelsName) : getSpotLabels(labelBytes, labelsName);
  const pos = getPositiveClasses(labels.values(), positive);
  const idx: number[] = [];
  const y: number[] = [];
  sc.ids.forEach((id, i) => {
    const l = labels.get(id);
    if (l === undefined) return;
    idx.push(i);
    y.push(pos.has(l) ? 1 : 0);
  });
  if (idx.length === 0) {
    throw new Error(`${labelsName}: none of its ${labels.size} spot ids matches the ${sc.ids.length} spots of ${scoresName} (labels ${[...labels.keys()].slice(0, 3).join(', ')}...; scores ${sc.ids.slice(0, 3).join(', ')}...). Check that both are the same section.`);
  }
  const ids = new Set(sc.ids);
  const columns = {} as Record<Column, ColumnMetrics | null>;
  for (const c of COLUMNS) {
    const v = idx.map((i) => sc.values[c][i]);
    const n = v.filter(Number.isFinite).length;
    columns[c] = n > 0 ? { n, auc: getRocAuc(v, y), ap: getAveragePrecision(v, y) } : null;
  }
  const calls = idx.map((i) => sc.values.cancer[i]);
  const classes = [...new Set(labels.values())].sort();
  return {
    scoredSpots: sc.ids.length,
    labelledSpots: idx.length,
    positives: y.reduce((a, b) => a + b, 0),
    positiveClasses: classes.filter((c) => pos.has(c)),
    negativeClasses: classes.filter((c) => !pos.has(c)),
    labelsWithoutScore: [...labels.keys()].filter((k) => !ids.has(k)).length,
    columns,
    cancer: calls.some(Number.isFinite) ? getBinaryCallMetrics(calls, y) : null,
    labelsDetail: detail,
  };
}

export async function run(argv: string[]): Promise<number> {
  const parsed = getCommandArgs(argv, { scores: { type: 'string' }, labels: { type: 'string' }, positive: { type: 'string' }, json: { type: 'boolean' } }, EVALUATE_USAGE, false);
  const v = parsed.values;
  if (isHelpAsked(v, EVALUATE_USAGE)) return 0;
  if (!v.scores || !v.labels) throw new Error(`--scores and --labels are required (${EVALUATE_USAGE})`);
  const positive = v.positive?.split(',').filter((p) => p.trim() !== '');
  const r = getEvaluation(await readFile(v.scores, 'utf8'), basename(v.scores), new Uint8Array(await readFile(v.labels)), basename(v.labels), positive);
  const log = (s: string) => process.stderr.write(`${s}\n`);
  log(`labels: ${r.labelsDetail}; cancer = ${r.positiveClasses.join(' + ')}${positive ? ' (--positive)' : ''}; negative: ${r.negativeClasses.join(', ') || 'none'}`);
  if (r.labelledSpots < r.scoredSpots / 2) log(`warning: only ${r.labelledSpots} of ${r.scoredSpots} scored spots have a label`);
  if (r.labelsWithoutScore > 0) log(`note: ${r.labelsWithoutScore} labelled spots are not among the scores (not in tissue, or not in this section)`);
  if (v.json) {
    const { labelsDetail: _, ...out } = r;
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  }
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
  const lines = [`${r.labelledSpots} of ${r.scoredSpots} scored spots labelled, ${r.positives} cancer`, 'column     AUC    AP     spots'];
  for (const c of COLUMNS) {
    const m = r.columns[c];
    lines.push(`${c.padEnd(10)} ${m ? `${f(m.auc)}  ${f(m.ap)}  ${m.n}` : '-      -      0 (empty column)'}`);
  }
  if (r.cancer) lines.push(`cancer calls: precision ${f(r.cancer.precision)}, recall ${f(r.cancer.recall)}, F1 ${f(r.cancer.f1)}, accuracy ${f(r.cancer.accuracy)} (${r.cancer.tp} TP, ${r.cancer.fp} FP, ${r.cancer.fn} FN, ${r.cancer.tn} TN)`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
