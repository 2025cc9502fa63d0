/**
 * What the dense histology heatmap says inside a region drawn with the area tool: how many of its
 * tissue windows are at or above the map's threshold, and their mean probability, so a region a
 * pathologist outlines can be read against the model.
 */
import { getValuesInside } from '../../core/regions/contours';
import type { ModelState } from '../model/modelStore';
import { getThreshold } from '../model/scoreField';
import type { Point } from './measure';

export interface AreaCalls {
  /** tissue windows of the heatmap whose centres lie in the region */
  windows: number;
  /** the share of them at or above the threshold */
  cancerFraction: number;
  meanProbability: number;
  threshold: number;
}

let memo: { key: unknown[]; threshold: number } | null = null;

/** The dense map's threshold (the label-free one, or the user's), computed once per map and override. */
function getDenseThresholdValue(s: ModelState): number | null {
  const h = s.heatmap;
  const m = s.model?.manifest;
  if (!h || !m || h.total === 0 || h.done < h.total) return null;
  const key = [h, s.heatmapVersion, s.thresholdOverride, m];
  if (memo && memo.key.length === key.length && memo.key.every((k, i) => k === key[i])) return memo.threshold;
  const probs = Float32Array.from(h.cells, (c) => h.values[c]);
  const threshold = getThreshold(probs, m.threshold.method, m.threshold.fallback, s.thresholdOverride).threshold;
  memo = { key, threshold };
  return threshold;
}

/** null until the dense heatmap is complete, or when no tissue window lies in the region. */
export function getAreaCalls(s: ModelState, points: Point[]): AreaCalls | null {
  const h = s.heatmap;
  const threshold = getDenseThresholdValue(s);
  if (!h || threshold === null || points.length < 3) return null;
  const inside = getValuesInside({ ...h.raster, values: h.values }, [points.map((p): [number, number] => [p.x, p.y])], threshold);
  if (inside.cells === 0) return null;
  return { windows: inside.cells, cancerFraction: inside.atOrAbove / inside.cells, meanProbability: inside.mean, threshold };
}
