/**
 * Resampling an RGBA raster onto a regular output grid, as the model preprocessing defines it:
 * output pixel i covers source x in [x0 + i*s, x0 + (i+1)*s) (source pixels per output pixel s).
 * s >= 1 (downsampling): area averaging with fractional pixel coverage (PIL's BOX filter).
 * s < 1 (upsampling): bilinear at the output pixel centre, half-pixel convention, edge clamped
 * (PIL's BILINEAR when enlarging). Transparent source pixels (outside the slide) count as white.
 */
import type { RgbaImage } from '../slide/types.ts';

export interface ResampleGrid {
  /** source x, y of the output grid's top-left corner (source pixel units, may be fractional) */
  x0: number;
  y0: number;
  /** source pixels per output pixel */
  scale: number;
  width: number;
  height: number;
}

interface AxisWeights {
  /** first source index per output index */
  start: Int32Array;
  /** number of taps per output index */
  count: Int32Array;
  /** weights, `maxTaps` per output index */
  weights: Float32Array;
  maxTaps: number;
}

function clampIndex(i: number, n: number): number {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}

function getAxisWeights(x0: number, scale: number, nOut: number, nSrc: number): AxisWeights {
  if (scale >= 1) {
    const maxTaps = Math.ceil(scale) + 2;
    const start = new Int32Array(nOut);
    const count = new Int32Array(nOut);
    const weights = new Float32Array(nOut * maxTaps);
    for (let i = 0; i < nOut; i++) {
      const a = x0 + i * scale;
      const b = a + scale;
      const first = Math.floor(a);
      const last = Math.ceil(b) - 1;
      start[i] = first;
      count[i] = last - first + 1;
      for (let p = first; p <= last; p++) {
        const w = Math.min(b, p + 1) - Math.max(a, p);
        weights[i * maxTaps + (p - first)] = w / scale;
      }
    }
    // taps outside the source are clamped when reading (they only occur if the caller read too little)
    for (let i = 0; i < nOut; i++) {
      if (start[i] < 0 || start[i] + count[i] > nSrc) {
        // fold out-of-range taps onto the nearest edge pixel
        const merged = new Float32Array(maxTaps);
        const s0 = clampIndex(start[i], nSrc);
        const s1 = clampIndex(start[i] + count[i] - 1, nSrc);
        for (let t = 0; t < count[i]; t++) merged[clampIndex(start[i] + t, nSrc) - s0] += weights[i * maxTaps + t];
        start[i] = s0;
        count[i] = s1 - s0 + 1;
        weights.set(merged, i * maxTaps);
      }
    }
    return { start, count, weights, maxTaps };
  }
  const maxTaps = 2;
  const start = new Int32Array(nOut);
  const count = new Int32Array(nOut).fill(2);
  const weights = new Float32Array(nOut * 2);
  for (let i = 0; i < nOut; i++) {
    const u = x0 + (i + 0.5) * scale - 0.5;
    const c = Math.min(Math.max(u, 0), nSrc - 1);
    let f = Math.floor(c);
    if (f >= nSrc - 1) f = Math.max(nSrc - 2, 0);
    const t = c - f;
    start[i] = f;
    if (nSrc === 1) {
      count[i] = 1;
      weights[i * 2] = 1;
    } else {
      weights[i * 2] = 1 - t;
      weights[i * 2 + 1] = t;
    }
  }
  return { start, count, weights, maxTaps };
}

/**
 * Resample `src` onto `grid`; returns interleaved RGB floats in 0..255 (width * height * 3).
 * Separable: a horizontal pass into a row buffer per needed source row, then vertical.
 */
export function getResampledRgb(src: RgbaImage, grid: ResampleGrid): Float32Array {
  const { width: outW, height: outH } = grid;
  const sw = src.width;
  const sh = src.height;
  const xw = getAxisWeights(grid.x0, grid.scale, outW, sw);
  const yw = getAxisWeights(grid.y0, grid.scale, outH, sh);
  const s = src.data;
  // horizontal pass over every source row the vertical pass will touch
  let rowMin = sh;
  let rowMax = -1;
  for (let j = 0; j < outH; j++) {
    rowMin = Math.min(rowMin, yw.start[j]);
    rowMax = Math.max(rowMax, yw.start[j] + yw.count[j] - 1);
  }
  const nRows = rowMax - rowMin + 1;
  const tmp = new Float32Array(Math.max(nRows, 0) * outW * 3);
  for (let r = 0; r < nRows; r++) {
    const sy = rowMin + r;
    const rowOff = sy * sw * 4;
    const tOff = r * outW * 3;
    for (let i = 0; i < outW; i++) {
      let R = 0;
      let G = 0;
      let B = 0;
      const st = xw.start[i];
      const wOff = i * xw.maxTaps;
      for (let t = 0; t < xw.count[i]; t++) {
        const w = xw.weights[wOff + t];
        const p = rowOff + (st + t) * 4;
        if (s[p + 3] === 0) {
          R += 255 * w;
          G += 255 * w;
          B += 255 * w;
        } else {
          R += s[p] * w;
          G += s[p + 1] * w;
          B += s[p + 2] * w;
        }
      }
      tmp[tOff + i * 3] = R;
      tmp[tOff + i * 3 + 1] = G;
      tmp[tOff + i * 3 + 2] = B;
    }
  }
  const out = new Float32Array(outW * outH * 3);
  for (let j = 0; j < outH; j++) {
    const st = yw.start[j] - rowMin;
    const wOff = j * yw.maxTaps;
    const oOff = j * outW * 3;
    for (let t = 0; t < yw.count[j]; t++) {
      const w = yw.weights[wOff + t];
      const tOff = (st + t) * outW * 3;
      for (let q = 0; q < outW * 3; q++) out[oOff + q] += tmp[tOff + q] * w;
    }
  }
  return out;
}
