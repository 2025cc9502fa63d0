import { describe, expect, it } from 'vitest';
import { applyAffine, getAffineFromLandmarks, getAffineFromParams, getComposedAffine, getInverseAffine, getSpotsWithAffine } from './registration.ts';
import { getMppFromSpotPitch, getSpotPitch } from './pitch.ts';
import { StError, type SpotTable } from './types.ts';

describe('affine registration helpers', () => {
  it('composes scale, flip, rotation about a centre and offset', () => {
    const t = getAffineFromParams({ scale: 2, rotationDeg: 90, centerX: 10, centerY: 10, offsetX: 5 });
    // (11, 10) is 1 px right of the centre: scaled to 2 px, rotated 90 degrees -> 2 px down (y grows downwards)
    const p = applyAffine(t, 11, 10);
    expect(p.x).toBeCloseTo(15, 12);
    expect(p.y).toBeCloseTo(12, 12);
    const f = getAffineFromParams({ flipX: true, centerX: 100 });
    expect(applyAffine(f, 90, 7)).toEqual({ x: 110, y: 7 });
    const inv = getInverseAffine(t);
    const back = applyAffine(inv, p.x, p.y);
    expect(back.x).toBeCloseTo(11, 12);
    expect(back.y).toBeCloseTo(10, 12);
    const c = getComposedAffine(inv, t);
    for (const [i, v] of [1, 0, 0, 0, 1, 0].entries()) expect(c[i]).toBeCloseTo(v, 12);
  });

  it('recovers a known affine from landmarks, with residuals and RMS', () => {
    const truth = getAffineFromParams({ scale: 0.5, scaleY: 0.52, rotationDeg: 12, flipY: true, offsetX: 300, offsetY: -40 });
    const from = [
      { x: 0, y: 0 },
      { x: 1000, y: 50 },
      { x: 200, y: 900 },
      { x: 800, y: 800 },
      { x: 500, y: 400 },
    ];
    const to = from.map((p) => applyAffine(truth, p.x, p.y));
    const exact = getAffineFromLandmarks(from, to);
    for (const [i, v] of exact.affine.entries()) expect(v).toBeCloseTo(truth[i], 9);
    expect(exact.rms).toBeLessThan(1e-9);
    // one landmark off by 10 px: least squares spreads it; the residuals point at it
    const noisy = to.map((p, i) => (i === 4 ? { x: p.x + 10, y: p.y } : p));
    const fit = getAffineFromLandmarks(from, noisy);
    expect(fit.residuals.length).toBe(5);
    expect(Math.max(...fit.residuals)).toBe(fit.residuals[4]);
    expect(fit.rms).toBeGreaterThan(1);
    expect(fit.rms).toBeCloseTo(Math.sqrt(fit.residuals.reduce((s, r) => s + r * r, 0) / 5), 12);
  });

  it('rejects fewer than 3 pairs and collinear landmarks', () => {
    expect(() => getAffineFromLandmarks([{ x: 0, y: 0 }, { x: 1, y: 1 }], [{ x: 0, y: 0 }, { x: 1, y: 1 }])).toThrow(StError);
    const line = [0, 1, 2, 3].map((i) => ({ x: i, y: 2 * i }));
    expect(() => getAffineFromLandmarks(line, line)).toThrow(/on one line/);
  });

  it('applies an affine to a spot table (positions and diameter)', () => {
    const spots: SpotTable = { ids: ['a', 'b'], x: Float64Array.of(0, 10), y: Float64Array.of(0, 0), inTissue: Uint8Array.of(1, 1), diameterPx: 4, annotations: {} };
    const out = getSpotsWithAffine(spots, getAffineFromParams({ scale: 3, offsetX: 1 }));
    expect(Array.from(out.x)).toEqual([1, 31]);
    expect(out.diameterPx).toBeCloseTo(12, 12);
    expect(spots.x[1]).toBe(10);
  });
});

describe('um/px from the spot grid pitch', () => {
  it('a hexagonal Visium-like grid of 137 px pitch -> 100/137 um/px', () => {
    const x: number[] = [];
    const y: number[] = [];
    for (let r = 0; r < 30; r++) for (let c = 0; c < 30; c++) {
      x.push(1000 + c * 137 + (r % 2) * 68.5);
      y.push(500 + r * 137 * (Math.sqrt(3) / 2));
    }
    const m = getMppFromSpotPitch({ x, y }, 'visium');
    expect(m.pitchPx).toBeCloseTo(137, 6);
    expect(m.mpp).toBeCloseTo(100 / 137, 9);
  });

  it('a jittered square legacy ST grid: the neighbour ring is less biased than the nearest neighbour', () => {
    let seed = 1;
    const rnd = () => {
      seed = (seed * 16807) % 2147483647;
      return (seed / 2147483647 - 0.5) * 30;
    };
    const x: number[] = [];
    const y: number[] = [];
    for (let r = 0; r < 20; r++) for (let c = 0; c < 20; c++) {
      x.push(c * 290 + rnd());
      y.push(r * 290 + rnd());
    }
    const p = getSpotPitch(x, y);
    expect(p.nearestPx).toBeLessThan(285);
    expect(Math.abs(p.pitchPx - 290)).toBeLessThan(3);
    expect(getMppFromSpotPitch({ x, y }, 'legacy-st').mpp).toBeCloseTo(200 / p.pitchPx, 12);
  });
});
