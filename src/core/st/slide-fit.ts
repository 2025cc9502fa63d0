/** Do the spots land on the slide that is open? */
import { MAX_BLANK_SIDE } from '../slide/blank/blank-slide.ts';
import { getMppFromSpotPitch } from './pitch.ts';
import { StError, type StDataset } from './types.ts';

export interface SlideFit {
  total: number;
  inside: number;
  fraction: number;
}

/** How many spot centres fall inside a slide of width x height level-0 pixels. */
export function getSlideFit(ds: Pick<StDataset, 'spots'>, width: number, height: number): SlideFit {
  const { x, y } = ds.spots;
  let inside = 0;
  for (let i = 0; i < x.length; i++) if (x[i] >= 0 && y[i] >= 0 && x[i] < width && y[i] < height) inside++;
  return { total: x.length, inside, fraction: x.length ? inside / x.length : 0 };
}

/**
 * Throw an StError when every spot falls outside the slide; the hint names the frame that would
 * fit when the dataset knows other frames (a fullres positions file over a hires image, say).
 */
export function checkStFitsSlide(ds: StDataset, slide: { width: number; height: number; name?: string }): SlideFit {
  const fit = getSlideFit(ds, slide.width, slide.height);
  if (fit.total === 0 || fit.inside > 0) return fit;
  const b = getSpotBounds(ds);
  let hint = 'Check that the spots belong to this slide, or register them (scale / offset / landmarks).';
  for (const [frame, scale] of Object.entries(ds.frameScales ?? {})) {
    if (frame === ds.frame.name || !scale) continue;
    const k = scale / ds.frame.scale;
    if (b && b.maxX * k <= slide.width * 1.05 && b.maxY * k <= slide.height * 1.05 && b.minX * k >= -0.05 * slide.width) {
      hint = `They would fit in the ${frame} frame: load the spots with frame "${frame}" (the open image looks like the ${frame} image).`;
      break;
    }
  }
  throw new StError(
    ds.files[0]?.name ?? 'ST data',
    `places all ${fit.total} spots outside the slide${slide.name ? ` ${slide.name}` : ''} (${slide.width} x ${slide.height} px; spots span x ${b ? `${Math.round(b.minX)}-${Math.round(b.maxX)}` : '?'}, y ${b ? `${Math.round(b.minY)}-${Math.round(b.maxY)}` : '?'}, ${ds.frame.name} frame).`,
    hint,
  );
}

/** Bounding box of a set of points (null when there are none). */
export function getPointBounds(x: ArrayLike<number>, y: ArrayLike<number>): { minX: number; minY: number; maxX: number; maxY: number } | null {
  if (x.length === 0) return null;
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < x.length; i++) {
    minX = Math.min(minX, x[i]);
    maxX = Math.max(maxX, x[i]);
    minY = Math.min(minY, y[i]);
    maxY = Math.max(maxY, y[i]);
  }
  return { minX, minY, maxX, maxY };
}

/** Bounding box of the spot centres (null when there are no spots). */
export function getSpotBounds(ds: Pick<StDataset, 'spots'>): { minX: number; minY: number; maxX: number; maxY: number } | null {
  return getPointBounds(ds.spots.x, ds.spots.y);
}

export interface BlankCanvasPlan {
  width: number;
  height: number;
  /** um per px from the spot grid; null when it cannot be measured */
  mpp: number | null;
  /** the spots' bounding box plus a margin, for the first view */
  view: { x: number; y: number; width: number; height: number };
}

/**
 * The blank canvas for spots opened without an image: level 0 is the spots' own pixel frame
 * (coordinates unchanged, so exports stay in the section image's frame), reaching two spot
 * pitches past the last spot, at the um/px of the spot grid. Spots with negative coordinates or
 * spanning more than MAX_BLANK_SIDE are not in an image's pixel frame: a clear StError.
 */
export function getBlankCanvasPlan(ds: StDataset): BlankCanvasPlan {
  const label = ds.files.map((f) => f.name).join(', ') || 'ST data';
  const b = getSpotBounds(ds);
  if (!b) throw new StError(label, 'has no spots to place.', 'Check that the files hold spot positions.');
  if (b.minX < 0 || b.minY < 0) {
    throw new StError(
      label,
      `places spots at negative coordinates (x from ${Math.round(b.minX)}, y from ${Math.round(b.minY)}), so they are not in an image's pixel frame and cannot go on a blank canvas.`,
      'Open the image the spots belong to first, or give positions in its pixels.',
    );
  }
  const pitch = ds.pitchUm > 0 ? getMppFromSpotPitch(ds.spots, ds.pitchUm) : null;
  const mpp = pitch && pitch.mpp > 0 && Number.isFinite(pitch.mpp) ? pitch.mpp : null;
  const span = Math.max(b.maxX - b.minX, b.maxY - b.minY, 1);
  const pitchPx = pitch && pitch.pitchPx > 0 ? pitch.pitchPx : 0;
  const margin = pitchPx > 0 ? 2 * pitchPx : 0.05 * span;
  const width = Math.ceil(b.maxX + margin);
  const height = Math.ceil(b.maxY + margin);
  if (width > MAX_BLANK_SIDE || height > MAX_BLANK_SIDE) {
    throw new StError(label, `places spots up to ${Math.round(Math.max(b.maxX, b.maxY))} px from the origin, more than a blank canvas holds (${MAX_BLANK_SIDE} px).`, 'Open the image the spots belong to first.');
  }
  // the outlines of regions reach 0.75 pitch past the outer spots
  const m = Math.max(pitchPx || 2 * (ds.spots.diameterPx || 0), 0.05 * span);
  return { width, height, mpp, view: { x: b.minX - m, y: b.minY - m, width: b.maxX - b.minX + 2 * m, height: b.maxY - b.minY + 2 * m } };
}
