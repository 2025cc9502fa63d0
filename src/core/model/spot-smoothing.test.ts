import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { getManifest, type ModelManifest } from './manifest.ts';
import { applySpotSmoothing, getSmoothedProbs, getSpotSmoothing } from './spot-smoothing.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;

interface Fixture {
  k: number;
  sigma: number;
  x: number[];
  y: number[];
  prob: number[];
  smoothed: number[];
  probWithGaps: (number | null)[];
  smoothedWithGaps: (number | null)[];
}

const fixture = JSON.parse(readFileSync(`${ROOT}tests/fixtures/model-parity/spot-smoothing.json`, 'utf8')) as Fixture;
const shipped = getManifest(JSON.parse(readFileSync(`${ROOT}models/default/manifest.json`, 'utf8')));

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number | null>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    const e = b[i];
    if (e === null) {
      if (!Number.isNaN(a[i])) return Number.POSITIVE_INFINITY;
      continue;
    }
    d = Math.max(d, Math.abs(a[i] - e));
  }
  return d;
}

describe('spot smoothing (contract step spotSmoothing)', () => {
  it("equals training's common.smooth_probs on B4's gene-head probabilities", () => {
    const rule = { k: fixture.k, sigma: fixture.sigma };
    expect(fixture.x.length).toBeGreaterThan(250);
    expect(maxDiff(getSmoothedProbs(fixture.prob, fixture.x, fixture.y, rule), fixture.smoothed)).toBeLessThan(1e-6);
    const gaps = fixture.probWithGaps.map((v) => v ?? Number.NaN);
    expect(maxDiff(getSmoothedProbs(gaps, fixture.x, fixture.y, rule), fixture.smoothedWithGaps)).toBeLessThan(1e-6);
  });

  it('the shipped manifest smooths the gene and fused columns with the fixture rule', () => {
    expect(getSpotSmoothing(shipped, 'gene')).toEqual({ k: fixture.k, sigma: fixture.sigma });
    expect(getSpotSmoothing(shipped, 'fused')).toEqual({ k: fixture.k, sigma: fixture.sigma });
    expect(getSpotSmoothing(shipped, 'histology')).toBeNull();
    const { spotSmoothing: _, ...without } = shipped;
    expect(getSpotSmoothing(without as ModelManifest, 'gene')).toBeNull();
  });

  it('keeps a step between two regions and evens out noise within each', () => {
    // a 20 x 20 grid: left half about 0.2, right half about 0.8, with +-0.05 alternating noise
    const x: number[] = [];
    const y: number[] = [];
    const p: number[] = [];
    for (let r = 0; r < 20; r++) {
      for (let c = 0; c < 20; c++) {
        x.push(c * 100);
        y.push(r * 100);
        p.push((c < 10 ? 0.2 : 0.8) + ((r + c) % 2 ? 0.05 : -0.05));
      }
    }
    const out = getSmoothedProbs(p, x, y, { k: 18, sigma: 1 });
    const left = out.filter((_, i) => x[i] < 1000);
    const right = out.filter((_, i) => x[i] >= 1000);
    // the edge stays sharp: no left spot drifts past 0.3, no right spot below 0.7
    expect(Math.max(...left)).toBeLessThan(0.3);
    expect(Math.min(...right)).toBeGreaterThan(0.7);
    // the noise shrinks: away from the edge the spread within a half is well below the input's 0.1
    const inner = out.filter((_, i) => x[i] >= 1300 && x[i] <= 1600 && y[i] >= 300 && y[i] <= 1600);
    expect(Math.max(...inner) - Math.min(...inner)).toBeLessThan(0.03);
  });

  it('leaves a column without spread, a single spot and a column not named in the manifest unchanged', () => {
    expect(Array.from(getSmoothedProbs([0.3, 0.3, 0.3], [0, 1, 2], [0, 0, 0], { k: 2, sigma: 1 }))).toEqual(Array.from(Float32Array.from([0.3, 0.3, 0.3])));
    expect(getSmoothedProbs([0.9], [0], [0], { k: 18, sigma: 1 })[0]).toBeCloseTo(0.9, 6);
    const values = Float32Array.from([Number.NaN, 0.1, 0.9, 0.5]);
    applySpotSmoothing(shipped, 'histology', [1, 2, 3], [0, 0, 1, 2], [0, 0, 0, 0], values);
    expect(Array.from(values.subarray(1))).toEqual(Array.from(Float32Array.from([0.1, 0.9, 0.5])));
  });
});
