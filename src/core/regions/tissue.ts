/**
 * Tissue mask from a low-resolution view of the slide ("saturation-otsu"): the slide is resampled
 * (area averaging) to `thumbnailMpp` um/px from the coarsest level at or finer than that, HSV
 * saturation (max - min) / max per pixel, Otsu's threshold on it, raised to at least
 * `minSaturation`; tissue = saturation >= threshold. White glass and the area outside the slide
 * have saturation ~0.
 */
import { getOtsuThreshold } from '../score/threshold.ts';
import type { SlideSource } from '../slide/types.ts';
import { getResampledRgb } from '../model/resample.ts';

export interface TissueMask {
  width: number;
  height: number;
  /** level-0 px per mask pixel */
  cellPx: number;
  /** 1 = tissue; row-major */
  mask: Uint8Array;
  saturationThreshold: number;
  /** where the threshold came from */
  thresholdSource: 'otsu' | 'minSaturation';
  /** tissue pixels * cellPx^2 */
  areaPx2: number;
}

/** Saturation per pixel of interleaved RGB (0..255). */
export function getSaturation(rgb: Float32Array): Float32Array {
  const n = rgb.length / 3;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rgb[i * 3];
    const g = rgb[i * 3 + 1];
    const b = rgb[i * 3 + 2];
    const mx = Math.max(r, g, b);
    const mn = Math.min(r, g, b);
    out[i] = mx > 0 ? (mx - mn) / mx : 0;
  }
  return out;
}

export function getTissueMaskFromSaturation(sat: Float32Array, minSaturation: number): { mask: Uint8Array; threshold: number; source: 'otsu' | 'minSaturation' } {
  const otsu = getOtsuThreshold(sat);
  const useOtsu = otsu !== null && otsu > minSaturation;
  const threshold = useOtsu ? otsu : minSaturation;
  const mask = new Uint8Array(sat.length);
  for (let i = 0; i < sat.length; i++) mask[i] = sat[i] >= threshold ? 1 : 0;
  return { mask, threshold, source: useOtsu ? 'otsu' : 'minSaturation' };
}

/** Read the slide at about `thumbnailMpp` um/px (strip by strip, so large levels are never held whole). */
export async function loadThumbnailRgb(slide: SlideSource, slideMpp: number, thumbnailMpp: number, signal?: AbortSignal): Promise<{ rgb: Float32Array; width: number; height: number; cellPx: number }> {
  const { meta } = slide;
  const cellPx = Math.max(thumbnailMpp / slideMpp, 1);
  let level = 0;
  for (let i = 0; i < meta.levels.length; i++) {
    const ds = meta.levels[i].downsample;
    if (ds <= cellPx * (1 + 1e-6) && ds > meta.levels[level].downsample) level = i;
  }
  const { downsample: d, width: lw, height: lh } = meta.levels[level];
  const scale = cellPx / d;
  const width = Math.max(1, Math.round(meta.width / cellPx));
  const height = Math.max(1, Math.round(meta.height / cellPx));
  const rgb = new Float32Array(width * height * 3);
  const rowsPerStrip = Math.max(1, Math.floor(1024 / scale));
  for (let r0 = 0; r0 < height; r0 += rowsPerStrip) {
    signal?.throwIfAborted();
    const nr = Math.min(rowsPerStrip, height - r0);
    const ly0 = Math.max(0, Math.floor(r0 * scale));
    const ly1 = Math.min(lh, Math.ceil((r0 + nr) * scale) + 1);
    const img = await slide.readRegion(level, 0, Math.round(ly0 * d), lw, Math.max(1, ly1 - ly0), signal);
    const strip = getResampledRgb(img, { x0: 0, y0: r0 * scale - ly0, scale, width, height: nr });
    rgb.set(strip, r0 * width * 3);
  }
  return { rgb, width, height, cellPx };
}

export async function loadTissueMask(slide: SlideSource, slideMpp: number, tissue: { minSaturation: number; thumbnailMpp: number }, signal?: AbortSignal): Promise<TissueMask> {
  const thumb = await loadThumbnailRgb(slide, slideMpp, tissue.thumbnailMpp, signal);
  const { mask, threshold, source } = getTissueMaskFromSaturation(getSaturation(thumb.rgb), tissue.minSaturation);
  let count = 0;
  for (let i = 0; i < mask.length; i++) count += mask[i];
  return {
    width: thumb.width,
    height: thumb.height,
    cellPx: thumb.cellPx,
    mask,
    saturationThreshold: threshold,
    thresholdSource: source,
    areaPx2: count * thumb.cellPx * thumb.cellPx,
  };
}
