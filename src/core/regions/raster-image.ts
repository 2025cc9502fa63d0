/**
 * A probability raster as an RGBA image, one pixel per cell: d3-scale-chromatic's magma for
 * values in [0, 1], transparent where there is no value (outside tissue / not computed).
 */
import { interpolateMagma } from 'd3-scale-chromatic';
import type { RgbaImage } from '../slide/types.ts';
import type { ProbabilityRaster } from './raster.ts';

let magmaLut: Uint8Array | null = null;

function getMagmaLut(): Uint8Array {
  if (magmaLut) return magmaLut;
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const hex = interpolateMagma(i / 255); // "#rrggbb"
    lut[i * 3] = Number.parseInt(hex.slice(1, 3), 16);
    lut[i * 3 + 1] = Number.parseInt(hex.slice(3, 5), 16);
    lut[i * 3 + 2] = Number.parseInt(hex.slice(5, 7), 16);
  }
  magmaLut = lut;
  return lut;
}

export function getRasterRgba(raster: ProbabilityRaster): RgbaImage {
  const lut = getMagmaLut();
  const n = raster.width * raster.height;
  const data = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    const v = raster.values[i];
    if (Number.isNaN(v)) continue;
    const k = Math.round(Math.min(1, Math.max(0, v)) * 255) * 3;
    data[i * 4] = lut[k];
    data[i * 4 + 1] = lut[k + 1];
    data[i * 4 + 2] = lut[k + 2];
    data[i * 4 + 3] = 255;
  }
  return { width: raster.width, height: raster.height, data };
}
