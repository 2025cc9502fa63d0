import { describe, expect, it } from 'vitest';
import { getAveragePrecision, getBinaryCallMetrics, getRocAuc } from './metrics.ts';

// scores with ties across the classes; the expected values are scikit-learn 1.2's
// (roc_auc_score, average_precision_score, precision/recall/f1_score of s >= 0.6)
const s = [0.9, 0.8, 0.8, 0.7, 0.6, 0.6, 0.6, 0.4, 0.3, 0.1, 0.1, 0.05];
const y = [1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0];

describe('metrics as scikit-learn computes them', () => {
  it('ROC AUC and average precision with tied scores', () => {
    expect(getRocAuc(s, y)).toBeCloseTo(0.7857142857142858, 12);
    expect(getAveragePrecision(s, y)).toBeCloseTo(0.7087301587301588, 12);
    // the order of the input does not matter
    const perm = s.map((_, i) => (i * 5) % s.length);
    expect(getRocAuc(perm.map((i) => s[i]), perm.map((i) => y[i]))).toBeCloseTo(0.7857142857142858, 12);
    expect(getAveragePrecision(perm.map((i) => s[i]), perm.map((i) => y[i]))).toBeCloseTo(0.7087301587301588, 12);
  });

  it('0/1 calls: precision, recall, F1; non-finite scores are left out; one class gives NaN AUC', () => {
    const m = getBinaryCallMetrics(s.map((v) => (v >= 0.6 ? 1 : 0)), y);
    expect(m.precision).toBeCloseTo(0.5714285714285714, 12);
    expect(m.recall).toBeCloseTo(0.8, 12);
    expect(m.f1).toBeCloseTo(0.6666666666666666, 12);
    expect(getRocAuc([0.2, Number.NaN, 0.9], [0, 1, 1])).toBe(1);
    expect(getRocAuc([0.2, 0.3], [1, 1])).toBeNaN();
    expect(() => getRocAuc([1, 2], [1])).toThrow(/differ in length/);
  });
});
