/** A scale bar: how long to draw it on screen and what it says. */
export interface ScaleBar {
  /** on-screen length in CSS pixels */
  px: number;
  label: string;
}

const NICE = [1, 2, 5];

/** Largest 1-2-5 x 10^n value <= v (v > 0). */
export function getNiceFloor(v: number): number {
  const exp = Math.floor(Math.log10(v));
  const base = 10 ** exp;
  let best = base;
  for (const n of NICE) if (n * base <= v * (1 + 1e-9)) best = n * base;
  return best;
}

function formatNumber(v: number): string {
  // 1-2-5 x 10^n values: strip float noise (0.1 + 0.2 style) without rounding away small ones
  return Number.parseFloat(v.toPrecision(6)).toString();
}

/**
 * @param mpp micrometres per level-0 pixel, or null when unknown (then the bar is in image px)
 * @param imageZoom screen (CSS) pixels per level-0 pixel
 * @param maxPx the longest bar to draw
 */
export function getScaleBar(mpp: number | null, imageZoom: number, maxPx = 160): ScaleBar | null {
  if (!(imageZoom > 0) || !Number.isFinite(imageZoom)) return null;
  if (mpp == null || !(mpp > 0)) {
    const imagePxPerScreenPx = 1 / imageZoom;
    const len = getNiceFloor(maxPx * imagePxPerScreenPx);
    return { px: len * imageZoom, label: `${formatNumber(len)} px` };
  }
  const umPerScreenPx = mpp / imageZoom;
  const um = getNiceFloor(maxPx * umPerScreenPx);
  const px = um / umPerScreenPx;
  if (um >= 1000) return { px, label: `${formatNumber(um / 1000)} mm` };
  if (um < 1) return { px, label: `${formatNumber(um * 1000)} nm` };
  return { px, label: `${formatNumber(um)} µm` };
}
