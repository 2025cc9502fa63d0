/**
 * Classification metrics of scores against binary labels, as scikit-learn computes them (the
 * model card's protocol, models/train/common.py `metrics`): ROC AUC with tied scores counted as
 * half (the Mann-Whitney U statistic), average precision as the step-wise sum over the distinct
 * thresholds (sklearn.metrics.average_precision_score), and precision / recall / F1 of 0/1 calls.
 * Pairs where the score is not finite are left out.
 */

function getPairs(scores: ArrayLike<number>, labels: ArrayLike<number>): { s: Float64Array; y: Uint8Array } {
  if (scores.length !== labels.length) throw new Error(`scores (${scores.length}) and labels (${labels.length}) differ in length`);
  const keep: number[] = [];
  for (let i = 0; i < scores.length; i++) if (Number.isFinite(scores[i])) keep.push(i);
  return { s: Float64Array.from(keep, (i) => scores[i]), y: Uint8Array.from(keep, (i) => (labels[i] ? 1 : 0)) };
}

/** ROC AUC; NaN when only one class is present. */
export function getRocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const { s, y } = getPairs(scores, labels);
  const order = Array.from(s.keys()).sort((a, b) => s[a] - s[b]);
  // average ranks (1-based) over runs of equal scores
  const rank = new Float64Array(s.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && s[order[j + 1]] === s[order[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) rank[order[k]] = r;
    i = j + 1;
  }
  let nPos = 0;
  let rankSum = 0;
  for (let i = 0; i < s.length; i++) {
    if (y[i]) {
      nPos++;
      rankSum += rank[i];
    }
  }
  const nNeg = s.length - nPos;
  if (nPos === 0 || nNeg === 0) return Number.NaN;
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** Average precision: sum over distinct thresholds (high to low) of (recall gain) x precision; NaN without positives. */
export function getAveragePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const { s, y } = getPairs(scores, labels);
  let nPos = 0;
  for (const v of y) nPos += v;
  if (nPos === 0) return Number.NaN;
  const order = Array.from(s.keys()).sort((a, b) => s[b] - s[a]);
  let tp = 0;
  let fp = 0;
  let prevRecall = 0;
  let ap = 0;
  for (let i = 0; i < order.length; i++) {
    if (y[order[i]]) tp++;
    else fp++;
    // a threshold is complete once every spot with this score is in
    if (i + 1 < order.length && s[order[i + 1]] === s[order[i]]) continue;
    const recall = tp / nPos;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
  }
  return ap;
}

export interface BinaryCallMetrics {
  n: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  precision: number;
  recall: number;
  f1: number;
  accuracy: number;
}

/** Precision, recall, F1 and accuracy of 0/1 calls (non-finite calls left out); 0 where undefined, as sklearn. */
export function getBinaryCallMetrics(calls: ArrayLike<number>, labels: ArrayLike<number>): BinaryCallMetrics {
  const { s, y } = getPairs(calls, labels);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] >= 0.5;
    if (c && y[i]) tp++;
    else if (c) fp++;
    else if (y[i]) fn++;
    else tn++;
  }
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { n: s.length, tp, fp, fn, tn, precision, recall, f1, accuracy: s.length ? (tp + tn) / s.length : Number.NaN };
}
