/**
 * Contract step `spotSmoothing` (models/SCHEMA.md), after the heads: an edge-preserving (bilateral)
 * mean of a spot column's logits over each in-tissue spot and its k nearest in-tissue spots.
 *
 *   l_i  = logit(clip(p_i, 1e-6, 1 - 1e-6))
 *   s    = sigma * (population standard deviation of l over the in-tissue spots)
 *   l'_i = sum_j w_ij l_j / sum_j w_ij,  j in {i} + kNN(i),  w_ij = exp(-(l_j - l_i)^2 / (2 s^2))
 *   p'_i = sigmoid(l'_i)
 *
 * Neighbours that have no value (NaN) are left out; a spot without a value stays NaN. Spots of one
 * region share their class, so the mean cuts the noise of single spots, and the weights keep a
 * score step (a tumour edge) from being blurred across. Mirrors models/train/common.py
 * `smooth_probs`, the function the model card's numbers were measured with.
 */
import type { ModelManifest } from './manifest.ts';
import { getNeighbourGraph } from './neighbours.ts';

export type SmoothedColumn = 'histology' | 'gene' | 'fused';

export interface SpotSmoothing {
  k: number;
  sigma: number;
}

/** The manifest's smoothing for one column, or null when that column is reported as the head gives it. */
export function getSpotSmoothing(manifest: ModelManifest, column: SmoothedColumn): SpotSmoothing | null {
  const s = manifest.spotSmoothing;
  if (!s || s.k <= 0 || !s.columns.includes(column)) return null;
  return { k: s.k, sigma: s.sigma };
}

/** The k nearest other spots of each of n spots (k capped at n - 1), built once per section and shared by its columns. */
export interface SmoothingGraph {
  k: number;
  neighbours: Int32Array;
}

export function getSmoothingGraph(x: ArrayLike<number>, y: ArrayLike<number>, k: number): SmoothingGraph {
  const kk = Math.max(0, Math.min(k, x.length - 1));
  return { k: kk, neighbours: getNeighbourGraph(x, y, kk) };
}

/**
 * Smoothed probabilities of n spots (prob[i] at x[i], y[i], all in tissue). Returns a new array;
 * fewer than 2 valued spots, or no spread in their logits, returns the values unchanged.
 */
export function getSmoothedProbs(prob: ArrayLike<number>, x: ArrayLike<number>, y: ArrayLike<number>, { k, sigma }: SpotSmoothing): Float32Array {
  return getGraphSmoothedProbs(prob, getSmoothingGraph(x, y, k), sigma);
}

/** getSmoothedProbs over a graph already built for these spots (getSmoothingGraph with the rule's k). */
export function getGraphSmoothedProbs(prob: ArrayLike<number>, graph: SmoothingGraph, sigma: number): Float32Array {
  const n = prob.length;
  const out = Float32Array.from(prob);
  const logit = new Float64Array(n);
  let count = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const p = prob[i];
    if (Number.isNaN(p)) {
      logit[i] = Number.NaN;
      continue;
    }
    const q = Math.min(1 - 1e-6, Math.max(1e-6, p));
    logit[i] = Math.log(q / (1 - q));
    sum += logit[i];
    count++;
  }
  if (count < 2 || n < 2) return out;
  const mean = sum / count;
  let ss = 0;
  for (let i = 0; i < n; i++) if (!Number.isNaN(logit[i])) ss += (logit[i] - mean) ** 2;
  const s = sigma * Math.sqrt(ss / count);
  if (!(s > 0)) return out;
  const { k: kk, neighbours: nb } = graph;
  const inv = 1 / (2 * s * s);
  for (let i = 0; i < n; i++) {
    const li = logit[i];
    if (Number.isNaN(li)) continue;
    let wSum = 1;
    let lSum = li;
    for (let t = 0; t < kk; t++) {
      const lj = logit[nb[i * kk + t]];
      if (Number.isNaN(lj)) continue;
      const w = Math.exp(-(lj - li) * (lj - li) * inv);
      wSum += w;
      lSum += w * lj;
    }
    out[i] = 1 / (1 + Math.exp(-lSum / wSum));
  }
  return out;
}

/**
 * In place on a dataset-indexed column (values[d] for dataset spot d): smooth the entries of the
 * in-tissue `spots` (positions x[d], y[d]) by the manifest's rule for `column`; no-op without one.
 * `graph`: the smoothing graph of `spots` in that order when the caller has it (one per section).
 */
export function applySpotSmoothing(
  manifest: ModelManifest,
  column: SmoothedColumn,
  spots: ArrayLike<number>,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  values: Float32Array,
  graph?: SmoothingGraph,
): void {
  const rule = getSpotSmoothing(manifest, column);
  if (!rule) return;
  const n = spots.length;
  const p = Float32Array.from({ length: n }, (_, i) => values[spots[i]]);
  const g = graph ?? getSmoothingGraph(Float64Array.from({ length: n }, (_, i) => x[spots[i]]), Float64Array.from({ length: n }, (_, i) => y[spots[i]]), rule.k);
  const sm = getGraphSmoothedProbs(p, g, rule.sigma);
  for (let i = 0; i < n; i++) values[spots[i]] = sm[i];
}
