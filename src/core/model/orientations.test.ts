import { describe, expect, it } from 'vitest';
import { getLogOdds, getOrientationCount, getOrientedPatches, getOrientedProb, PROB_CLIP } from './orientations.ts';

/** n patches of 3 x P x P whose value encodes (patch, channel, y, x) */
function getCodedPatches(n: number, P: number): Float32Array {
  const a = new Float32Array(n * 3 * P * P);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) for (let y = 0; y < P; y++) for (let x = 0; x < P; x++) a[((i * 3 + c) * P + y) * P + x] = i * 1000 + c * 100 + y * 10 + x;
  return a;
}

/** Reference: the torch ops of models/train (flip(3) if t & 1, flip(2) if t & 2, then transpose(2, 3) if t & 4) */
function getReferenceView(a: Float32Array, n: number, P: number, t: number): Float32Array {
  let cur = a;
  const at = (src: Float32Array, i: number, y: number, x: number) => src[(i * P + y) * P + x];
  const map = (f: (src: Float32Array, i: number, y: number, x: number) => number) => {
    const out = new Float32Array(cur.length);
    for (let i = 0; i < n * 3; i++) for (let y = 0; y < P; y++) for (let x = 0; x < P; x++) out[(i * P + y) * P + x] = f(cur, i, y, x);
    cur = out;
  };
  if (t & 1) map((s, i, y, x) => at(s, i, y, P - 1 - x));
  if (t & 2) map((s, i, y, x) => at(s, i, P - 1 - y, x));
  if (t & 4) map((s, i, y, x) => at(s, i, x, y));
  return cur;
}

describe('histology orientations', () => {
  const P = 5;
  const n = 2;
  const patches = getCodedPatches(n, P);

  it('each of the 8 views is the torch flips then transpose, channel by channel', () => {
    for (let t = 0; t < 8; t++) expect(Array.from(getOrientedPatches(patches, n, P, t)), `view ${t}`).toEqual(Array.from(getReferenceView(patches, n, P, t)));
  });

  it('the 8 views are distinct and each is a permutation within its own patch and channel', () => {
    const seen = new Set<string>();
    for (let t = 0; t < 8; t++) {
      const v = getOrientedPatches(patches, n, P, t);
      seen.add(Array.from(v.subarray(0, P * P)).join(','));
      for (let plane = 0; plane < n * 3; plane++) {
        const got = Array.from(v.subarray(plane * P * P, (plane + 1) * P * P)).sort((a, b) => a - b);
        const want = Array.from(patches.subarray(plane * P * P, (plane + 1) * P * P)).sort((a, b) => a - b);
        expect(got).toEqual(want);
      }
    }
    expect(seen.size).toBe(8);
  });

  it('view 1 mirrors left-right, 2 top-bottom, 4 transposes', () => {
    const v1 = getOrientedPatches(patches, n, P, 1);
    expect(v1[0]).toBe(patches[P - 1]); // row 0, col 0 <- row 0, col P-1
    const v2 = getOrientedPatches(patches, n, P, 2);
    expect(v2[0]).toBe(patches[(P - 1) * P]);
    const v4 = getOrientedPatches(patches, n, P, 4);
    expect(v4[1]).toBe(patches[P]); // (0, 1) <- (1, 0)
  });

  it('combines in log-odds, clipped', () => {
    expect(getOrientedProb(getLogOdds(0.8) + getLogOdds(0.8), 2)).toBeCloseTo(0.8, 12);
    expect(getOrientedProb(getLogOdds(0.9) + getLogOdds(0.1), 2)).toBeCloseTo(0.5, 12);
    expect(getLogOdds(0)).toBeCloseTo(Math.log(PROB_CLIP / (1 - PROB_CLIP)), 9);
    expect(getLogOdds(1)).toBeCloseTo(-Math.log(PROB_CLIP / (1 - PROB_CLIP)), 9);
  });

  it('rejects other view counts and views', () => {
    expect(getOrientationCount(8)).toBe(8);
    expect(() => getOrientationCount(3)).toThrow(/1, 2, 4 or 8/);
    expect(() => getOrientedPatches(patches, n, P, 8)).toThrow(/0\.\.7/);
    expect(() => getOrientedPatches(patches, 3, P, 1)).toThrow(/values for 3 patches/);
  });
});
