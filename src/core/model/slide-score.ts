/**
 * Whole-slide score from the histology head's tissue-window probabilities, following the
 * manifest's `slideScore.method` text. The Python validation protocol
 * (models/train/histology.py, `slide_score`) implements the same rules, so the GlaS AUC in the
 * model card and `fusescope heatmap --json` score an image the same way.
 *
 * Rules, matched in this order:
 * - "mean logit ..." / "mean log-odds ...": sigmoid of the mean log-odds of the windows
 *   (probabilities clipped to [PROB_CLIP, 1 - PROB_CLIP] first, as float32 outputs saturate);
 * - "<p>th percentile ...": linear-interpolated percentile (numpy's default);
 * - "mean ..." / "average ...": mean probability;
 * - "max ..." / "maximum ...": largest probability;
 * - anything else: the 95th percentile.
 * Non-finite values (windows not computed) are skipped; no finite value gives NaN.
 */

export type SlideScoreRule = { kind: 'percentile'; p: number } | { kind: 'mean' } | { kind: 'mean-logit' } | { kind: 'max' };

/** Probabilities are clipped to [PROB_CLIP, 1 - PROB_CLIP] before taking log-odds. */
export const PROB_CLIP = 1e-6;

export function getSlideScoreRule(method: string): SlideScoreRule {
  if (/\b(mean|average)\b/i.test(method) && /\b(logits?|log-odds)\b/i.test(method)) return { kind: 'mean-logit' };
  const pct = /(\d+(?:\.\d+)?)\s*(?:st|nd|rd|th)?\s*percentile/i.exec(method);
  if (pct) return { kind: 'percentile', p: Math.min(100, Math.max(0, Number(pct[1]))) };
  if (/\bmean\b|\baverage\b/i.test(method)) return { kind: 'mean' };
  if (/\bmax(imum)?\b/i.test(method)) return { kind: 'max' };
  return { kind: 'percentile', p: 95 };
}

function getFinite(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(Array.prototype.filter.call(values, Number.isFinite) as number[]);
}

/** Linear-interpolated percentile (numpy's default) of the finite values; NaN when none. */
export function getPercentile(values: ArrayLike<number>, p: number): number {
  const v = getFinite(values).sort();
  if (v.length === 0) return Number.NaN;
  const r = (p / 100) * (v.length - 1);
  const lo = Math.floor(r);
  const hi = Math.ceil(r);
  return v[lo] + (v[hi] - v[lo]) * (r - lo);
}

/** Sigmoid of the mean log-odds of the finite probabilities (clipped to [PROB_CLIP, 1 - PROB_CLIP]); NaN when none. */
export function getMeanLogitScore(values: ArrayLike<number>): number {
  const v = getFinite(values);
  if (v.length === 0) return Number.NaN;
  let s = 0;
  for (const x of v) {
    const p = Math.min(1 - PROB_CLIP, Math.max(PROB_CLIP, x));
    s += Math.log(p / (1 - p));
  }
  return 1 / (1 + Math.exp(-s / v.length));
}

export interface SlideScore {
  score: number;
  /** the rule in words, for logs and JSON output */
  ruleText: string;
}

/** The slide score of the tissue-window probabilities under `rule`. */
export function getSlideScore(values: ArrayLike<number>, rule: SlideScoreRule): SlideScore {
  switch (rule.kind) {
    case 'mean-logit':
      return { score: getMeanLogitScore(values), ruleText: 'sigmoid of the mean log-odds of the tissue-window probabilities' };
    case 'percentile':
      return { score: getPercentile(values, rule.p), ruleText: `${rule.p}th percentile of the tissue-window probabilities` };
    case 'mean': {
      const v = getFinite(values);
      let s = 0;
      for (const x of v) s += x;
      return { score: v.length ? s / v.length : Number.NaN, ruleText: 'mean of the tissue-window probabilities' };
    }
    case 'max': {
      const v = getFinite(values);
      let m = Number.NEGATIVE_INFINITY;
      for (const x of v) if (x > m) m = x;
      return { score: v.length ? m : Number.NaN, ruleText: 'maximum of the tissue-window probabilities' };
    }
  }
}
