import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FrameImage, ImageCodec } from '../../image/codec.ts';
import { createNodeCodec } from '../../image/node/sharp-codec.ts';
import { BlobByteSource } from '../bytes/blob-source.ts';
import type { RgbaImage } from '../types.ts';
import { ImageSlide } from './image-slide.ts';

const GLAS = resolve(import.meta.dirname, '../../../../../shared/data/glas/train');

/**
 * A codec that keeps the decoded image as the browser's WebCodecs frame path does (FrameImage):
 * copied out by rectangle, B, G, R, X or R, G, B, X words with a padding byte; reads counted.
 */
function getFrameCodec(img: RgbaImage, bgrx: boolean, log: { rects: number; rows: number; closed: boolean }): ImageCodec {
  const base = createNodeCodec();
  const frame: FrameImage = {
    width: img.width,
    height: img.height,
    bgrx,
    async readRect(x, y, w, h, dest) {
      expect(dest.length).toBe(w * h * 4);
      log.rects++;
      log.rows += h;
      for (let r = 0; r < h; r++) {
        for (let c = 0; c < w; c++) {
          const s = ((y + r) * img.width + x + c) * 4;
          const d = (r * w + c) * 4;
          dest[d] = img.data[s + (bgrx ? 2 : 0)];
          dest[d + 1] = img.data[s + 1];
          dest[d + 2] = img.data[s + (bgrx ? 0 : 2)];
          dest[d + 3] = (x + c) & 0x3f; // padding the slide must overwrite
        }
      }
    },
    close() {
      log.closed = true;
    },
  };
  return { ...base, decodeImageFrame: async () => frame };
}

/** small tiles on the 775 x 522 GlaS image: several tiles per level and three levels */
const TILE = 256;

/** regions across tiles, past the image's top-left and bottom-right edges, and at a reduced level */
const REGIONS = [
  [0, 100, 90, 400, 300],
  [0, -37, -20, 300, 200],
  [0, 600, 400, 300, 250],
  [1, 130, 60, 300, 200],
] as const;

/** Every tile of every level of `b` equals `a`'s. */
async function expectSameTiles(a: ImageSlide, b: ImageSlide): Promise<void> {
  expect(b.meta.levels).toEqual(a.meta.levels);
  for (let level = 0; level < a.meta.levels.length; level++) {
    const { width, height } = a.meta.levels[level];
    for (let row = 0; row * TILE < height; row++) {
      for (let col = 0; col * TILE < width; col++) {
        const ta = await a.readTile(level, col, row);
        const tb = await b.readTile(level, col, row);
        expect([tb.width, tb.height]).toEqual([ta.width, ta.height]);
        expect(Buffer.from(tb.data).equals(Buffer.from(ta.data))).toBe(true);
      }
    }
  }
}

describe('ImageSlide over a BGRX decode (the browser JPEG path)', () => {
  it('serves the same RGBA tiles and regions at every level as over an RGBA decode', async () => {
    const bytes = new Uint8Array(readFileSync(resolve(GLAS, 'train_1.jpg')));
    const rgbaCodec = createNodeCodec();
    const rgba = await rgbaCodec.decodeImage(bytes);
    const src = () => new BlobByteSource(new Blob([bytes]), 'train_1.jpg');
    const a = await ImageSlide.open(src(), 'jpeg', { codec: rgbaCodec, tileSize: TILE });
    const b = await ImageSlide.open(src(), 'jpeg', { codec: getFrameCodec(rgba, true, { rects: 0, rows: 0, closed: false }), tileSize: TILE });
    expect(a.meta.levels.length).toBeGreaterThan(2);
    await expectSameTiles(a, b);
    // regions (read straight from the level in memory) equal the same pixels cut from the tiles,
    // also across the image's edges (transparent outside) and at a reduced level
    for (const [level, x, y, w, h] of REGIONS) {
      const d = a.meta.levels[level].downsample;
      const ref = new Uint8ClampedArray(w * h * 4);
      const lx = x < 0 ? 0 : Math.round(x / d);
      const ly = y < 0 ? 0 : Math.round(y / d);
      const ox = x < 0 ? Math.trunc(-x / d) : 0;
      const oy = y < 0 ? Math.trunc(-y / d) : 0;
      const { width: lw, height: lh } = a.meta.levels[level];
      for (let yy = 0; yy < h - oy && ly + yy < lh; yy++) {
        for (let xx = 0; xx < w - ox && lx + xx < lw; xx++) {
          const t = await a.readTile(level, Math.floor((lx + xx) / TILE), Math.floor((ly + yy) / TILE));
          const si = (((ly + yy) % TILE) * t.width + ((lx + xx) % TILE)) * 4;
          ref.set(t.data.subarray(si, si + 4), ((oy + yy) * w + ox + xx) * 4);
        }
      }
      for (const s of [a, b]) {
        const r = await s.readRegion(level, x, y, w, h);
        expect(Buffer.from(r.data).equals(Buffer.from(ref))).toBe(true);
      }
    }
    // a region across tiles, and the coarsest level read twice (its single tile is the level itself)
    const ra = await a.readRegion(0, 100, 90, 400, 300);
    const rb = await b.readRegion(0, 100, 90, 400, 300);
    expect(Buffer.from(rb.data).equals(Buffer.from(ra.data))).toBe(true);
    const last = a.meta.levels.length - 1;
    const once = await b.readTile(last, 0, 0);
    b.close();
    const b2 = await ImageSlide.open(src(), 'jpeg', { codec: getFrameCodec(rgba, true, { rects: 0, rows: 0, closed: false }), tileSize: TILE });
    const first = await b2.readTile(last, 0, 0);
    const again = await b2.readRegion(last, 0, 0, first.width, first.height);
    expect(Buffer.from(again.data).equals(Buffer.from(once.data))).toBe(true);
    expect(Array.from(first.data.subarray(0, 8))).toEqual(Array.from((await a.readTile(last, 0, 0)).data.subarray(0, 8)));
  });

  it('over a kept frame (BGRX or RGBX words, copied out by rectangle) serves the same tiles and regions, level 1 halved strip by strip', async () => {
    const bytes = new Uint8Array(readFileSync(resolve(GLAS, 'train_2.jpg')));
    const rgbaCodec = createNodeCodec();
    const rgba = await rgbaCodec.decodeImage(bytes);
    const src = () => new BlobByteSource(new Blob([bytes]), 'train_2.jpg');
    const a = await ImageSlide.open(src(), 'jpeg', { codec: rgbaCodec, tileSize: TILE });
    for (const bgrx of [true, false]) {
      const log = { rects: 0, rows: 0, closed: false };
      // strips of 10 rows (a tiny budget), so level 1 is put together from many strips
      const f = await ImageSlide.open(src(), 'jpeg', { codec: getFrameCodec(rgba, bgrx, log), stripBytes: rgba.width * 4 * 11, tileSize: TILE });
      await expectSameTiles(a, f);
      for (const [level, x, y, w, h] of REGIONS) {
        const ra = await a.readRegion(level, x, y, w, h);
        const rf = await f.readRegion(level, x, y, w, h);
        expect(Buffer.from(rf.data).equals(Buffer.from(ra.data))).toBe(true);
      }
      // level 1 was halved from whole-width strips of the frame, each row read once for it
      expect(log.rows).toBeGreaterThanOrEqual(rgba.height);
      expect(log.rects).toBeGreaterThan(rgba.height / 10);
      f.close();
      expect(log.closed).toBe(true);
    }
  });
});
