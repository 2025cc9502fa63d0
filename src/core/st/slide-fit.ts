/** Do the spots land on the slide that is open? */
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
