import { describe, expect, it } from 'vitest';
import { fitGaussianMixture2, getGmmIntersection, getLabelFreeThreshold, getOtsuThreshold } from './threshold.ts';

/** Deterministic normal samples (Box-Muller over a fixed LCG). */
function normals(n: number, mean: number, sd: number, seed: number): number[] {
  let s = seed >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(mean + sd * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
  return out;
}

describe('label-free thresholds', () => {
  it('GMM recovers a known mixture and its intersection', () => {
    // equal weights and widths: the densities cross exactly halfway between the means
    const values = [...normals(3000, 0.2, 0.05, 1), ...normals(3000, 0.7, 0.05, 2)];
    const g = fitGaussianMixture2(values);
    expect(g).not.toBeNull();
    expect(g!.means[0]).toBeCloseTo(0.2, 2);
    expect(g!.means[1]).toBeCloseTo(0.7, 2);
    expect(g!.sds[0]).toBeCloseTo(0.05, 2);
    expect(g!.weights[0]).toBeCloseTo(0.5, 1);
    expect(getGmmIntersection(g!)).toBeCloseTo(0.45, 2);
  });

  it('GMM intersection matches the closed form for unequal weights', () => {
    const g = { weights: [0.8, 0.2] as [number, number], means: [0.2, 0.7] as [number, number], sds: [0.1, 0.1] as [number, number], logLikelihood: 0, iterations: 0 };
    // equal widths: x = (m1 + m2) / 2 + s^2 ln(w1 / w2) / (m2 - m1)
    const expected = 0.45 + (0.01 * Math.log(4)) / 0.5;
    expect(getGmmIntersection(g)).toBeCloseTo(expected, 10);
  });

  it('Otsu splits a bimodal sample between the modes', () => {
    const values = [...normals(2000, 0.1, 0.03, 3), ...normals(1000, 0.8, 0.03, 4)];
    const t = getOtsuThreshold(values)!;
    expect(t).toBeGreaterThan(0.25);
    expect(t).toBeLessThan(0.65);
    // two point masses: every split between them is optimal; Otsu takes the middle of that plateau
    expect(getOtsuThreshold([0, 0, 0, 1, 1])).toBeCloseTo(0.5, 10);
  });

  it('falls back: GMM -> Otsu -> fixed value', () => {
    const bimodal = [...normals(500, 0.3, 0.02, 5), ...normals(500, 0.6, 0.02, 6)];
    const r = getLabelFreeThreshold(bimodal, 'gmm-intersection', 0.5);
    expect(r.method).toBe('gmm-intersection');
    expect(r.threshold).toBeCloseTo(0.45, 2);
    expect(getLabelFreeThreshold(bimodal, 'otsu', 0.5).method).toBe('otsu');
    const constant = getLabelFreeThreshold([0.3, 0.3, 0.3, 0.3, 0.3], 'gmm-intersection', 0.5);
    expect(constant).toMatchObject({ method: 'fallback', threshold: 0.5 });
    // NaNs (spots not scored) are ignored
    expect(getLabelFreeThreshold([...bimodal, Number.NaN], 'gmm-intersection', 0.5).threshold).toBeCloseTo(r.threshold, 10);
  });

  it('does not split unimodal scores (a section without cancer): the calibrated fallback decides', () => {
    const normal = normals(2000, 0.25, 0.08, 7);
    const r = getLabelFreeThreshold(normal, 'gmm-intersection', 0.5);
    expect(r.method).toBe('fallback');
    expect(r.threshold).toBe(0.5);
    expect(r.detail).toMatch(/not bimodal/);
    expect(getLabelFreeThreshold(normal, 'otsu', 0.5).method).toBe('fallback');
    // a clearly bimodal section still gets its data-driven split
    const bimodal = [...normals(1500, 0.2, 0.06, 8), ...normals(500, 0.8, 0.06, 9)];
    expect(getLabelFreeThreshold(bimodal, 'gmm-intersection', 0.5).method).toBe('gmm-intersection');
  });

  it('equal-variance mixture on probabilities: one shared width, the closed-form crossing, no logit transform', () => {
    // unequal true widths: the tied fit still recovers the means and weights and splits between them
    const values = [...normals(2400, 0.25, 0.08, 10), ...normals(600, 0.85, 0.05, 11)];
    const g = fitGaussianMixture2(values, 300, 1e-9, true)!;
    expect(g.sds[0]).toBe(g.sds[1]);
    expect(g.means[0]).toBeCloseTo(0.25, 1);
    expect(g.means[1]).toBeCloseTo(0.85, 1);
    expect(g.weights[0]).toBeCloseTo(0.8, 1);
    const r = getLabelFreeThreshold(values, 'gmm-equal-variance', 0.5);
    expect(r.method).toBe('gmm-equal-variance');
    const s2 = g.sds[0] ** 2;
    expect(r.threshold).toBeCloseTo((g.means[0] + g.means[1]) / 2 + (s2 * Math.log(g.weights[0] / g.weights[1])) / (g.means[1] - g.means[0]), 9);
    expect(r.detail).toMatch(/^two-component equal-variance Gaussian mixture intersection/);
    expect(r.detail).not.toMatch(/logit/);
  });

  it('equal-variance mixture: a saturated cancer mode near 1 does not pull the split into it', () => {
    // a head that saturates: most cancer spots at 0.995-1, a broad negative mode; free variances on
    // probabilities put the crossing inside the narrow band, the shared variance between the modes
    const sat = normals(400, 0.997, 0.002, 12).map((v) => Math.min(1, v));
    const values = [...normals(1200, 0.3, 0.15, 13).map((v) => Math.min(1, Math.max(0, v))), ...sat];
    const free = getGmmIntersection(fitGaussianMixture2(values)!)!;
    expect(free).toBeGreaterThan(0.98);
    const tied = getLabelFreeThreshold(values, 'gmm-equal-variance', 0.5);
    expect(tied.method).toBe('gmm-equal-variance');
    expect(tied.threshold).toBeGreaterThan(0.5);
    expect(tied.threshold).toBeLessThan(0.9);
    // unimodal scores still fall back to the calibrated threshold
    expect(getLabelFreeThreshold(normals(2000, 0.25, 0.08, 14), 'gmm-equal-variance', 0.5).method).toBe('fallback');
  });
});
