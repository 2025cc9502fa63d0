/**
 * Tissue mask from a low-resolution view of the slide ("saturation-otsu"): the slide is resampled
 * (area averaging) to `thumbnailMpp` um/px from the coarsest level at or finer than that, HSV
 * saturation (max - min) / max per pixel, Otsu's threshold on it, raised to at least
 * `minSaturation`; tissue = saturation >= threshold, then a morphological closing joins tissue
 * across gaps narrower than ~50 um and holes (background not connected to the image border: pale
 * stroma, fat, lumens inside a section) are filled. White glass and the area
 * outside the slide have saturation ~0.
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
  /** whether the thumbnail looks like brightfield H&E (what the histology model reads) */
  stain: StainCheck;
}

/**
 * Does a slide look like a brightfield H&E scan? Two checks on the low-resolution view:
 * - dark field: brightfield slides have a bright background or bright tissue (the 95th percentile
 *   of the luminance is 179-255 on the 100 H&E images here: the 85 GlaS images, HER2ST at 0.69
 *   and 3.2 um/px, CMU-1, TCGA, the Visium breast lowres image), fluorescence is dark (a DAPI NDPI
 *   17, a Visium immunofluorescence image 57-59); below `DARK_P95` it is taken for fluorescence;
 * - H&E colour: haematoxylin (blue-purple) and eosin (pink) both absorb green, so green is the
 *   lowest channel of the mean tissue colour (on all of those images, at least 6 below the next);
 *   DAB-brown IHC has blue lowest, a fluorescence overlay its dye's colour.
 * A failed check is a warning for the user: the model's scores on such an image mean nothing.
 */
export interface StainCheck {
  /** 95th percentile of the luminance (0-255) */
  p95Luminance: number;
  /** mean RGB of the tissue pixels (saturation mask before closing); null without tissue */
  tissueRgb: [number, number, number] | null;
  darkField: boolean;
  notHe: boolean;
  /** what is wrong, in words (no file name), or null */
  problem: string | null;
}

export const DARK_P95 = 120;

export function getStainCheck(rgb: Float32Array, tissue: Uint8Array): StainCheck {
  const n = tissue.length;
  // luminance histogram in 1/255 steps: the 95th percentile without sorting a large thumbnail
  const hist = new Uint32Array(256);
  let r = 0;
  let g = 0;
  let b = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    hist[Math.min(255, Math.max(0, Math.floor(0.299 * rgb[3 * i] + 0.587 * rgb[3 * i + 1] + 0.114 * rgb[3 * i + 2])))]++;
    if (tissue[i]) {
      r += rgb[3 * i];
      g += rgb[3 * i + 1];
      b += rgb[3 * i + 2];
      k++;
    }
  }
  let p95 = 255;
  for (let v = 0, seen = 0; v < 256 && n > 0; v++) {
    seen += hist[v];
    if (seen > 0.95 * n) {
      p95 = v;
      break;
    }
  }
  const tissueRgb: [number, number, number] | null = k ? [r / k, g / k, b / k] : null;
  const darkField = p95 < DARK_P95;
  const notHe = !darkField && tissueRgb !== null && !(tissueRgb[1] < tissueRgb[0] && tissueRgb[1] < tissueRgb[2]);
  const rgbText = tissueRgb ? tissueRgb.map((v) => Math.round(v)).join(', ') : '';
  let problem: string | null = null;
  if (darkField) {
    problem = `looks like a fluorescence or dark-field image, not a brightfield H&E scan (95% of its pixels are darker than ${Math.round(p95)}/255): the histology model reads H&E, so its scores here mean nothing`;
  } else if (notHe) {
    problem = `its tissue is not H&E-coloured (mean RGB ${rgbText}; haematoxylin and eosin absorb green most, so green should be the lowest): an IHC or special stain? The histology model reads H&E, so its scores here may mean nothing`;
  }
  return { p95Luminance: p95, tissueRgb, darkField, notHe, problem };
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

/** Square dilation (max) or erosion (min) of a 0/1 mask by radius r; outside the image counts as 0. */
function getMorphed(mask: Uint8Array, width: number, height: number, r: number, dilate: boolean): Uint8Array {
  const pass = (src: Uint8Array, horizontal: boolean): Uint8Array => {
    const out = new Uint8Array(src.length);
    const n = horizontal ? width : height;
    const m = horizontal ? height : width;
    const hit = dilate ? 1 : 0;
    for (let j = 0; j < m; j++) {
      for (let i = 0; i < n; i++) {
        let v = 1 - hit;
        for (let d = -r; d <= r; d++) {
          const k = i + d;
          const x = k < 0 || k >= n ? 0 : src[horizontal ? j * width + k : k * width + j];
          if (x === hit) {
            v = hit;
            break;
          }
        }
        out[horizontal ? j * width + i : i * width + j] = v;
      }
    }
    return out;
  };
  return pass(pass(mask, true), false);
}

/**
 * Morphological closing (dilate, then erode) by a square of radius r: joins tissue separated by
 * gaps up to 2r pixels. Computed on a copy padded with r + 1 background pixels, so the outline at
 * the image border is kept.
 */
export function getClosedMask(mask: Uint8Array, width: number, height: number, r: number): Uint8Array {
  if (r <= 0) return mask;
  const pad = r + 1;
  const pw = width + 2 * pad;
  const ph = height + 2 * pad;
  const padded = new Uint8Array(pw * ph);
  for (let y = 0; y < height; y++) padded.set(mask.subarray(y * width, (y + 1) * width), (y + pad) * pw + pad);
  const closed = getMorphed(getMorphed(padded, pw, ph, r, true), pw, ph, r, false);
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) out.set(closed.subarray((y + pad) * pw + pad, (y + pad) * pw + pad + width), y * width);
  return out;
}

/** Set to 1 every 0-pixel that is not 4-connected to the image border (fills enclosed holes). */
export function getHoleFilledMask(mask: Uint8Array, width: number, height: number): Uint8Array {
  const outside = new Uint8Array(mask.length);
  const stack = new Int32Array(mask.length);
  let top = 0;
  const seed = (i: number) => {
    if (!mask[i] && !outside[i]) {
      outside[i] = 1;
      stack[top++] = i;
    }
  };
  for (let x = 0; x < width; x++) {
    seed(x);
    seed((height - 1) * width + x);
  }
  for (let y = 0; y < height; y++) {
    seed(y * width);
    seed(y * width + width - 1);
  }
  while (top > 0) {
    const i = stack[--top];
    const x = i % width;
    if (x > 0) seed(i - 1);
    if (x < width - 1) seed(i + 1);
    if (i >= width) seed(i - width);
    if (i < mask.length - width) seed(i + width);
  }
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) out[i] = outside[i] ? 0 : 1;
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
  // strips of at most ~32 MB of RGBA level pixels
  const rowsPerStrip = Math.max(1, Math.floor(Math.min(1024, (32 << 20) / (lw * 4)) / scale));
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
  const raw = getTissueMaskFromSaturation(getSaturation(thumb.rgb), tissue.minSaturation);
  const { threshold, source } = raw;
  const stain = getStainCheck(thumb.rgb, raw.mask);
  // close gaps narrower than ~50 um (loose stroma), then fill enclosed holes
  const r = Math.max(1, Math.round(25 / tissue.thumbnailMpp));
  const mask = getHoleFilledMask(getClosedMask(raw.mask, thumb.width, thumb.height, r), thumb.width, thumb.height);
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
    stain,
  };
}
