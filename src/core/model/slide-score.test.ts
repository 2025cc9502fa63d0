import { describe, expect, it } from 'vitest';
import { getMeanLogitScore, getPercentile, getSlideScore, getSlideScoreRule, PROB_CLIP } from './slide-score.ts';

describe('slide score', () => {
  it('reads the rule from the manifest text, log-odds before plain mean', () => {
    expect(getSlideScoreRule('mean logit of the tissue-window probabilities')).toEqual({ kind: 'mean-logit' });
    expect(getSlideScoreRule('average log-odds of tissue windows')).toEqual({ kind: 'mean-logit' });
    expect(getSlideScoreRule('mean of tissue-window probabilities')).toEqual({ kind: 'mean' });
    expect(getSlideScoreRule('95th percentile of tissue-window probabilities')).toEqual({ kind: 'percentile', p: 95 });
    expect(getSlideScoreRule('maximum window probability')).toEqual({ kind: 'max' });
    expect(getSlideScoreRule('something else')).toEqual({ kind: 'percentile', p: 95 });
  });

  it('mean logit = sigmoid of the mean log-odds, clipped, NaN skipped', () => {
    const logit = (p: number) => Math.log(p / (1 - p));
    const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
    expect(getMeanLogitScore([0.9, 0.1])).toBeCloseTo(0.5, 12);
    expect(getMeanLogitScore([0.8, 0.8, Number.NaN])).toBeCloseTo(0.8, 12);
    const p = [0.2, 0.7, 0.95, 0.99];
    expect(getMeanLogitScore(p)).toBeCloseTo(sigmoid(p.reduce((s, x) => s + logit(x), 0) / p.length), 12);
    // one saturated window (float32 sigmoid gives exactly 1) counts as 1 - PROB_CLIP, not +Infinity
    expect(getMeanLogitScore([1, 0.5])).toBeCloseTo(sigmoid(logit(1 - PROB_CLIP) / 2), 12);
    expect(getMeanLogitScore([0, 1])).toBeCloseTo(0.5, 9);
    expect(getMeanLogitScore([Number.NaN])).toBeNaN();
  });

  it('percentile, mean and max skip non-finite windows', () => {
    expect(getPercentile([1, 2, 3, 4, Number.NaN], 50)).toBe(2.5);
    expect(getPercentile([0, 10], 95)).toBeCloseTo(9.5, 12);
    expect(getSlideScore([0.2, Number.NaN, 0.4], { kind: 'mean' }).score).toBeCloseTo(0.3, 12);
    expect(getSlideScore([0.2, Number.NaN, 0.4], { kind: 'max' }).score).toBe(0.4);
    expect(getSlideScore([], { kind: 'max' }).score).toBeNaN();
    expect(getSlideScore([Number.NaN], { kind: 'mean' }).score).toBeNaN();
    expect(getSlideScore([0.1], { kind: 'mean-logit' }).ruleText).toMatch(/log-odds/);
  });
});
