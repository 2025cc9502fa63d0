/** Test helpers: paths of shared data and fixtures, PNG loading, image comparison. */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import type { RgbaImage } from '../types.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
export const SHARED = resolve(ROOT, '..', 'shared', 'data');
export const SLIDES = join(SHARED, 'slides');
export const FIXTURES = join(ROOT, 'tests', 'fixtures', 'slides');
export const REFS = join(ROOT, 'tests', 'fixtures', 'slide-refs');

export interface RefRegion {
  level: number;
  x: number;
  y: number;
  width: number;
  height: number;
  png: string;
}

export interface RefMeta {
  file: string;
  vendor?: string;
  width: number;
  height: number;
  levels: { width: number; height: number; downsample: number; tileWidth?: number; tileHeight?: number }[];
  mpp: number | null;
  /** openslide's own mpp (null for generic TIFF in openslide 3.4), when it differs from `mpp` */
  openslideMpp?: number | null;
  objective: number | null;
  associated: Record<string, [number, number]>;
  associatedCrops?: Record<string, { x: number; y: number; width: number; height: number; png: string }>;
  tileWidth?: number;
  tileHeight?: number;
  regions: RefRegion[];
}

export function loadRef(id: string): RefMeta {
  return JSON.parse(readFileSync(join(REFS, `${id}.json`), 'utf8')) as RefMeta;
}

export function readPng(path: string): RgbaImage {
  const png = PNG.sync.read(readFileSync(path));
  return { width: png.width, height: png.height, data: new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
}

export interface ImageDiff {
  /** mean absolute difference per colour channel over pixels opaque in both */
  meanAbs: [number, number, number];
  /**
   * pixels whose alpha differs where the reference is fully opaque or fully transparent
   * (openslide's sub-pixel translate at non-integer downsamples leaves partial alpha on the
   * slide border: those pixels are not counted)
   */
  alphaMismatch: number;
  maxAbs: number;
}

/** Compare `a` (ours) with `b` (the reference). */
export function compareImages(a: RgbaImage, b: RgbaImage): ImageDiff {
  if (a.width !== b.width || a.height !== b.height) throw new Error(`size ${a.width}x${a.height} != ${b.width}x${b.height}`);
  const sum = [0, 0, 0];
  let n = 0;
  let alphaMismatch = 0;
  let maxAbs = 0;
  for (let i = 0; i < a.width * a.height; i++) {
    const aa = a.data[i * 4 + 3];
    const ba = b.data[i * 4 + 3];
    if (aa !== ba && (ba === 0 || ba === 255)) alphaMismatch++;
    if (aa !== 255 || ba !== 255) continue;
    n++;
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(a.data[i * 4 + c] - b.data[i * 4 + c]);
      sum[c] += d;
      if (d > maxAbs) maxAbs = d;
    }
  }
  const m = (c: number) => (n ? sum[c] / n : 0);
  return { meanAbs: [m(0), m(1), m(2)], alphaMismatch, maxAbs };
}
