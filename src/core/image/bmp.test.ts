import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { openNodeSlideInput } from '../slide/bytes/node-file-source.ts';
import { detectFormat } from '../slide/detect.ts';
import { loadSlide } from '../slide/load-slide.ts';
import { SlideError } from '../slide/types.ts';
import { BmpError, decodeBmp } from './bmp.ts';
import { createNodeCodec } from './node/sharp-codec.ts';
import { encodeBmp24 } from './testing/encode-bmp.ts';

/** tests/fixtures/slides/bmp: variants of a GlaS crop written by make_bmp.py, each with Pillow's decode as PNG */
const FIX = resolve(import.meta.dirname, '../../../tests/fixtures/slides/bmp');
const GLAS = resolve(import.meta.dirname, '../../../../shared/data/glas/train');

async function getPngRgb(path: string): Promise<{ width: number; height: number; data: Uint8Array }> {
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

function maxDiff(rgba: Uint8ClampedArray, rgb: Uint8Array): number {
  let d = 0;
  for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
    d = Math.max(d, Math.abs(rgba[i] - rgb[j]), Math.abs(rgba[i + 1] - rgb[j + 1]), Math.abs(rgba[i + 2] - rgb[j + 2]));
    if (rgba[i + 3] !== 255) return 999;
  }
  return d;
}

describe('decodeBmp against Pillow on real GlaS pixels', () => {
  it.each([
    // [fixture, largest allowed difference]: 16-bit channels are widened from 5 or 6 bits, where
    // Pillow replicates the top bits and FuseScope rounds v * 255 / max; both are within 1
    ['rgb24', 0],
    ['rgb24-topdown', 0],
    ['core24', 0],
    ['bgrx32', 0],
    ['bitfields32-v5', 0],
    ['rgb565', 1],
    ['rgb555', 1],
    ['pal8', 0],
    ['pal4', 0],
    ['bw1', 0],
  ])('%s', async (name, tolerance) => {
    const img = decodeBmp(new Uint8Array(readFileSync(join(FIX, `${name}.bmp`))));
    const ref = await getPngRgb(join(FIX, `${name}.png`));
    expect([img.width, img.height]).toEqual([77, 53]);
    expect([ref.width, ref.height]).toEqual([77, 53]);
    expect(maxDiff(img.data, ref.data)).toBeLessThanOrEqual(tolerance);
  });

  it('the lossless layouts all give the 24-bit pixels', async () => {
    const ref = decodeBmp(new Uint8Array(readFileSync(join(FIX, 'rgb24.bmp'))));
    for (const name of ['rgb24-topdown', 'core24', 'bgrx32', 'bitfields32-v5']) {
      expect(decodeBmp(new Uint8Array(readFileSync(join(FIX, `${name}.bmp`)))).data).toEqual(ref.data);
    }
  });

  it('says what is wrong with a file it cannot read', () => {
    const rle = new Uint8Array(readFileSync(join(FIX, 'rle8.bmp')));
    expect(() => decodeBmp(rle)).toThrow(/uses RLE8 compression, which FuseScope does not read/);
    const truncated = new Uint8Array(readFileSync(join(FIX, 'truncated.bmp')));
    expect(() => decodeBmp(truncated)).toThrow(/is truncated: 77 x 53 at 24 bits needs 12296 bytes of pixels from offset 54, the file has 6121/);
    expect(() => decodeBmp(new Uint8Array([0x42, 0x4d, 0, 0]))).toThrow(BmpError);
  });
});

describe('BMP slides', () => {
  const codec = createNodeCodec();

  it('are detected by content, whatever the name', () => {
    const head = new Uint8Array(readFileSync(join(FIX, 'rgb24.bmp'))).subarray(0, 64);
    expect(detectFormat(head, 'testA_1.bmp', 12350).id).toBe('bmp');
    expect(detectFormat(head, 'image.dat', 12350).id).toBe('bmp');
  });

  it('a whole GlaS image as the challenge ships it (24-bit BMP) opens with the JPEG decode as pixels', async () => {
    const { data, info } = await sharp(join(GLAS, 'train_1.jpg')).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const bmp = encodeBmp24(info.width, info.height, data);
    const src = { name: 'train_1.bmp', size: bmp.length, read: async (o: number, l: number) => bmp.subarray(o, o + l) };
    const slide = await loadSlide({ source: src }, { codec, mpp: 0.62 });
    try {
      expect(slide.meta.compression).toBe('bmp');
      expect([slide.meta.width, slide.meta.height, slide.meta.mpp]).toEqual([775, 522, 0.62]);
      const region = await slide.readRegion(0, 0, 0, 775, 522);
      expect(Buffer.from(region.data).equals(Buffer.from(data))).toBe(true);
      // reduced levels exist and are read like any plain image's
      expect(slide.meta.levels.length).toBeGreaterThan(1);
      const l1 = await slide.readRegion(1, 10, 10, 100, 80);
      expect([l1.width, l1.height]).toEqual([100, 80]);
    } finally {
      slide.close();
    }
  });

  it.each([
    ['rle8.bmp', /rle8\.bmp: is a BMP image that cannot be decoded: it uses RLE8 compression, which FuseScope does not read\. .*Save it as an uncompressed 24-bit BMP/],
    ['truncated.bmp', /truncated\.bmp: is a BMP image that cannot be decoded: it is truncated: .*probably truncated or corrupt/],
  ])('%s gives a SlideError naming the file and what to do', async (name, pattern) => {
    const err = await loadSlide(await openNodeSlideInput(join(FIX, name)), { codec }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SlideError);
    expect((err as SlideError).message).toMatch(pattern);
  });
});
