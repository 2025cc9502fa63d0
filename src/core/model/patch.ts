/**
 * Patch extraction for the histology encoder, per the model package contract: an RGB crop of
 * patchPx x patchPx pixels at the manifest's um/px centred on a point (level-0 px), read from the
 * coarsest pyramid level at or finer than the target (level 0 when none is fine enough), resampled
 * (area averaging when downsampling, bilinear when upsampling), white outside the slide, then
 * (v / 255 - mean[c]) / std[c] into NCHW float32.
 */
import type { RgbaImage, SlideMetadata, SlideSource } from '../slide/types.ts';
import { getResampledRgb } from './resample.ts';

export interface PatchGeometry {
  /** pyramid level read */
  level: number;
  /** level-0 px per level px of that level */
  downsample: number;
  /** level-0 px per patch px (patch mpp / slide mpp) */
  l0PerPatchPx: number;
  /** level px per patch px (< 1 means upsampling) */
  scale: number;
  patchPx: number;
  /** patch side in level-0 px */
  sideL0: number;
}

/** Pick the pyramid level and scale for patches of `patchPx` px at `patchMpp` um/px on a slide of `slideMpp` um/px. */
export function getPatchGeometry(meta: SlideMetadata, slideMpp: number, patchPx: number, patchMpp: number): PatchGeometry {
  const l0PerPatchPx = patchMpp / slideMpp;
  let level = 0;
  for (let i = 0; i < meta.levels.length; i++) {
    const ds = meta.levels[i].downsample;
    if (ds <= l0PerPatchPx * (1 + 1e-6) && ds > meta.levels[level].downsample) level = i;
  }
  const downsample = meta.levels[level].downsample;
  return { level, downsample, l0PerPatchPx, scale: l0PerPatchPx / downsample, patchPx, sideL0: patchPx * l0PerPatchPx };
}

/** The level region to read for a patch centred at (cx, cy) level-0 px, and where the patch grid lies in it. */
function getPatchRead(geom: PatchGeometry, cx: number, cy: number): { ix0: number; iy0: number; w: number; h: number; x0: number; y0: number } {
  const { downsample: d, scale: s, patchPx: P } = geom;
  const left = (cx - geom.sideL0 / 2) / d;
  const top = (cy - geom.sideL0 / 2) / d;
  const ix0 = Math.floor(left) - 1;
  const iy0 = Math.floor(top) - 1;
  const w = Math.ceil(left + P * s) + 1 - ix0 + 1;
  const h = Math.ceil(top + P * s) + 1 - iy0 + 1;
  return { ix0, iy0, w, h, x0: left - ix0, y0: top - iy0 };
}

/**
 * The pixels a patch centred at (cx, cy) level-0 px reads: a rectangle in pixels of level
 * `geom.level` (x, y: top-left, may be negative near the slide's edge). For prefetching.
 */
export function getPatchLevelRect(geom: PatchGeometry, cx: number, cy: number): { x: number; y: number; width: number; height: number } {
  const r = getPatchRead(geom, cx, cy);
  return { x: r.ix0, y: r.iy0, width: r.w, height: r.h };
}

/** Read one patch as interleaved RGB floats 0..255 (patchPx * patchPx * 3). */
export async function readPatchRgb(slide: SlideSource, geom: PatchGeometry, cx: number, cy: number, signal?: AbortSignal): Promise<Float32Array> {
  const r = getPatchRead(geom, cx, cy);
  const img: RgbaImage = await slide.readRegion(geom.level, Math.round(r.ix0 * geom.downsample), Math.round(r.iy0 * geom.downsample), r.w, r.h, signal);
  return getResampledRgb(img, { x0: r.x0, y0: r.y0, scale: geom.scale, width: geom.patchPx, height: geom.patchPx });
}

/** Write an RGB 0..255 patch into `out` at patch slot `slot` as normalised NCHW float32. */
export function writeNormalisedPatch(rgb: Float32Array, patchPx: number, mean: readonly number[], std: readonly number[], out: Float32Array, slot: number): void {
  const plane = patchPx * patchPx;
  const base = slot * 3 * plane;
  for (let c = 0; c < 3; c++) {
    const m = mean[c];
    const inv = 1 / std[c];
    const o = base + c * plane;
    for (let p = 0; p < plane; p++) out[o + p] = (rgb[p * 3 + c] / 255 - m) * inv;
  }
}

/**
 * Read and normalise patches centred at the given level-0 points into one NCHW batch.
 * Patches that lie close together (a row of heatmap windows, neighbouring spots) are cut from one
 * region read covering them all; scattered ones are read one by one, a few at a time.
 */
export async function readPatchBatch(
  slide: SlideSource,
  geom: PatchGeometry,
  cx: ArrayLike<number>,
  cy: ArrayLike<number>,
  mean: readonly number[],
  std: readonly number[],
  signal?: AbortSignal,
): Promise<Float32Array> {
  const n = cx.length;
  const P = geom.patchPx;
  const out = new Float32Array(n * 3 * P * P);
  if (n === 0) return out;
  const reads = Array.from({ length: n }, (_, i) => getPatchRead(geom, cx[i], cy[i]));
  let bx0 = Number.POSITIVE_INFINITY;
  let by0 = Number.POSITIVE_INFINITY;
  let bx1 = Number.NEGATIVE_INFINITY;
  let by1 = Number.NEGATIVE_INFINITY;
  let area = 0;
  for (const r of reads) {
    bx0 = Math.min(bx0, r.ix0);
    by0 = Math.min(by0, r.iy0);
    bx1 = Math.max(bx1, r.ix0 + r.w);
    by1 = Math.max(by1, r.iy0 + r.h);
    area += r.w * r.h;
  }
  const bw = bx1 - bx0;
  const bh = by1 - by0;
  if (n > 1 && bw * bh <= 3 * area && bw * bh <= 16 << 20) {
    signal?.throwIfAborted();
    const d = geom.downsample;
    const img = await slide.readRegion(geom.level, Math.round(bx0 * d), Math.round(by0 * d), bw, bh, signal);
    for (let i = 0; i < n; i++) {
      const r = reads[i];
      const rgb = getResampledRgb(img, { x0: r.ix0 - bx0 + r.x0, y0: r.iy0 - by0 + r.y0, scale: geom.scale, width: P, height: P });
      writeNormalisedPatch(rgb, P, mean, std, out, i);
    }
    return out;
  }
  const concurrency = 4;
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      signal?.throwIfAborted();
      const rgb = await readPatchRgb(slide, geom, cx[i], cy[i], signal);
      writeNormalisedPatch(rgb, P, mean, std, out, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return out;
}
