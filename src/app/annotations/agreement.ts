/**
 * The model's maps against the loaded annotations: the dense histology heatmap window by window
 * (core getRasterAgreement, the CLI's `heatmap --annotations`), and the spot scores of the current
 * mode with each spot labelled by the annotation it lies in (the CLI's `evaluate --labels x.geojson`).
 */
import { type Annotations, getClassesAt, getRasterAgreement, type RasterAgreement } from '../../core/regions/annotations';
import { getAveragePrecision, getRocAuc } from '../../core/score/metrics';
import { getPositiveClasses } from '../../core/st/labels';
import { getModeValues, type ModelState } from '../model/modelStore';
import { getThreshold } from '../model/scoreField';

/** The cancer classes: the user's pick, else those whose names say cancer; an Error when none does. */
export function getAnnotationPositives(a: Annotations, picked: string[] | null): Set<string> | Error {
  try {
    return getPositiveClasses(a.classes, picked ?? undefined);
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

// the panel re-renders on every score batch: the agreements are kept until their inputs change
let denseMemo: { key: unknown[]; value: RasterAgreement | null } | null = null;
let classMemo: { a: Annotations; x: Float64Array; classes: string[] } | null = null;

function isSame(a: unknown[], b: unknown[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The complete dense heatmap against the positive annotations, at its label-free (or the user's) threshold. */
export function getDenseAgreement(s: ModelState, a: Annotations, positive: Set<string>, mpp: number | null): RasterAgreement | null {
  const h = s.heatmap;
  const m = s.model?.manifest;
  if (!h || !m || h.done < h.total) return null;
  const key = [h, s.heatmapVersion, s.thresholdOverride, a, [...positive].sort().join('|'), mpp];
  if (denseMemo && isSame(denseMemo.key, key)) return denseMemo.value;
  const probs = Float32Array.from(h.cells, (c) => h.values[c]);
  const t = getThreshold(probs, m.threshold.method, m.threshold.fallback, s.thresholdOverride).threshold;
  const value = getRasterAgreement({ ...h.raster, values: h.values }, h.cells, a, positive, t, mpp);
  denseMemo = { key, value };
  return value;
}

export interface SpotAgreement {
  mode: 'histology' | 'gene' | 'fused';
  n: number;
  positives: number;
  auc: number;
  ap: number;
}

/** The current mode's spot scores (fused for the difference view) against the annotation each spot lies in. */
export function getSpotAgreement(s: ModelState, a: Annotations, positive: Set<string>): SpotAgreement | null {
  if (!s.scores || !s.st || s.spotsMs === null) return null;
  const mode = s.mode === 'difference' ? 'fused' : s.mode;
  const values = getModeValues(s.scores, mode);
  // the spots do not move while their scores stream in: their classes are looked up once
  if (classMemo?.a !== a || classMemo.x !== s.st.x) classMemo = { a, x: s.st.x, classes: getClassesAt(a, s.st.x, s.st.y) };
  const { classes } = classMemo;
  const v: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) continue;
    v.push(values[i]);
    y.push(positive.has(classes[i]) ? 1 : 0);
  }
  const positives = y.reduce((p, q) => p + q, 0);
  if (positives === 0 || positives === y.length) return null;
  return { mode, n: y.length, positives, auc: getRocAuc(v, y), ap: getAveragePrecision(v, y) };
}
