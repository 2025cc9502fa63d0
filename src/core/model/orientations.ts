/**
 * Test-time orientation averaging of the histology head (manifest `histology.orientations`, see
 * models/SCHEMA.md). H&E has no preferred orientation, so the probability of a patch is averaged
 * in log-odds over its first N dihedral views: view t mirrors along the width if `t & 1`, along
 * the height if `t & 2`, then swaps height and width if `t & 4` (t = 0 is the upright patch).
 * The training code applies the same views (models/train/histology.py); the embedding the fusion
 * head reads is always the upright patch's.
 */
import type { FuseModel } from './model.ts';

/** Probabilities are clipped to [PROB_CLIP, 1 - PROB_CLIP] before their log-odds are taken. */
export const PROB_CLIP = 1e-6;

/** A valid view count (1, 2, 4 or 8), or a RangeError naming the value. */
export function getOrientationCount(n: number): 1 | 2 | 4 | 8 {
  if (n === 1 || n === 2 || n === 4 || n === 8) return n;
  throw new RangeError(`orientations must be 1, 2, 4 or 8 (got ${n})`);
}

/** View t of n NCHW patches of 3 x P x P (a new array; t = 0 returns a copy). */
export function getOrientedPatches(patches: Float32Array, n: number, P: number, t: number): Float32Array {
  if (!Number.isInteger(t) || t < 0 || t > 7) throw new RangeError(`orientation ${t} is not in 0..7`);
  const plane = P * P;
  if (patches.length !== n * 3 * plane) throw new RangeError(`${patches.length} values for ${n} patches of 3 x ${P} x ${P}`);
  const out = new Float32Array(patches.length);
  const flipX = (t & 1) !== 0;
  const flipY = (t & 2) !== 0;
  const swap = (t & 4) !== 0;
  for (let c = 0; c < n * 3; c++) {
    const base = c * plane;
    for (let y = 0; y < P; y++) {
      for (let x = 0; x < P; x++) {
        // output (y, x) reads the mirrored image at (y', x'); with a swap the mirrored image is read transposed
        let sy = swap ? x : y;
        let sx = swap ? y : x;
        if (flipY) sy = P - 1 - sy;
        if (flipX) sx = P - 1 - sx;
        out[base + y * P + x] = patches[base + sy * P + sx];
      }
    }
  }
  return out;
}

/** log(p / (1 - p)) of a probability clipped to [PROB_CLIP, 1 - PROB_CLIP]. */
export function getLogOdds(p: number): number {
  const q = Math.min(1 - PROB_CLIP, Math.max(PROB_CLIP, p));
  return Math.log(q / (1 - q));
}

/** The combined probability from the sum of `views` log-odds. */
export function getOrientedProb(logOddsSum: number, views: number): number {
  return 1 / (1 + Math.exp(-logOddsSum / views));
}

/**
 * Sum over views first..last-1 of the log-odds of the histology probability of n patches
 * (NCHW, normalised). One model call per view.
 */
export async function loadViewLogOddsSum(model: FuseModel, patches: Float32Array, n: number, first: number, last: number, signal?: AbortSignal): Promise<Float64Array> {
  const sum = new Float64Array(n);
  for (let t = first; t < last; t++) {
    signal?.throwIfAborted();
    const view = t === 0 ? patches : getOrientedPatches(patches, n, model.patchPx, t);
    const { prob } = await model.runHistology(view, n);
    for (let i = 0; i < n; i++) sum[i] += getLogOdds(prob[i]);
  }
  return sum;
}
