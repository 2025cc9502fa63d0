/** Spot grid pitch from spot centres, and um/px calibration from the platform's known pitch. */
import type { StPlatform } from './types.ts';

/** Centre-to-centre pitch and spot diameter of the array platforms, in micrometres. */
export const PLATFORM_GEOMETRY: Partial<Record<StPlatform, { pitchUm: number; diameterUm: number }>> = {
  visium: { pitchUm: 100, diameterUm: 55 },
  'legacy-st': { pitchUm: 200, diameterUm: 100 },
};

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = Float64Array.from(values).sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface SpotPitch {
  /** median nearest-neighbour centre distance, px */
  nearestPx: number;
  /** median distance to grid neighbours (all neighbours within 0.7..1.3 x nearestPx), px */
  pitchPx: number;
  /** spots with a neighbour */
  n: number;
}

/**
 * Grid pitch of spot centres (px). The median nearest-neighbour distance is biased low when centres
 * are jittered (legacy ST spots are detected one by one), so the pitch is the median of all
 * distances to grid neighbours (within 0.7-1.3 x that first estimate; diagonals of a square grid
 * are excluded); on an exact hexagonal Visium grid both are equal.
 */
export function getSpotPitch(x: ArrayLike<number>, y: ArrayLike<number>, mask?: ArrayLike<number>): SpotPitch {
  const idx: number[] = [];
  for (let i = 0; i < x.length; i++) if ((!mask || mask[i]) && Number.isFinite(x[i]) && Number.isFinite(y[i])) idx.push(i);
  idx.sort((a, b) => x[a] - x[b]);
  const n = idx.length;
  if (n < 2) return { nearestPx: Number.NaN, pitchPx: Number.NaN, n: 0 };
  const xs = Float64Array.from(idx, (i) => x[i]);
  const ys = Float64Array.from(idx, (i) => y[i]);
  const nn = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  for (let i = 0; i < n; i++) {
    let best = Number.POSITIVE_INFINITY;
    for (let j = i + 1; j < n && xs[j] - xs[i] < best; j++) {
      const d = Math.hypot(xs[j] - xs[i], ys[j] - ys[i]);
      if (d > 0 && d < best) best = d;
    }
    for (let j = i - 1; j >= 0 && xs[i] - xs[j] < best; j--) {
      const d = Math.hypot(xs[j] - xs[i], ys[j] - ys[i]);
      if (d > 0 && d < best) best = d;
    }
    nn[i] = best;
  }
  const finite = Array.from(nn).filter(Number.isFinite);
  const nearestPx = median(finite);
  const lo = 0.7 * nearestPx;
  const hi = 1.3 * nearestPx;
  const ring: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = xs[j] - xs[i];
      if (dx > hi) break;
      const d = Math.hypot(dx, ys[j] - ys[i]);
      if (d >= lo && d <= hi) ring.push(d);
    }
  }
  return { nearestPx, pitchPx: ring.length ? median(ring) : nearestPx, n: finite.length };
}

/**
 * um per pixel from the spot grid: the platform pitch (Visium 100 um, legacy ST 200 um) divided by
 * the measured pitch in px. `pitchUm` may be given for other grids. NaN when it cannot be measured.
 */
export function getMppFromSpotPitch(
  spots: { x: ArrayLike<number>; y: ArrayLike<number>; inTissue?: ArrayLike<number> },
  platformOrPitchUm: StPlatform | number,
): { mpp: number; pitchPx: number; nearestPx: number; pitchUm: number; n: number } {
  const pitchUm = typeof platformOrPitchUm === 'number' ? platformOrPitchUm : (PLATFORM_GEOMETRY[platformOrPitchUm]?.pitchUm ?? Number.NaN);
  const p = getSpotPitch(spots.x, spots.y);
  return { mpp: pitchUm / p.pitchPx, pitchPx: p.pitchPx, nearestPx: p.nearestPx, pitchUm, n: p.n };
}
