import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageCodec } from '../../image/codec.ts';
import { getJpegLayout } from '../../image/jpeg-index.ts';
import { createNodeCodec } from '../../image/node/sharp-codec.ts';
import { BlobByteSource } from '../bytes/blob-source.ts';
import { loadSlide } from '../load-slide.ts';
import { FIXTURES, SHARED } from '../testing/refs.ts';
import type { SlideSource } from '../types.ts';
import { IndexedJpegSlide } from './indexed-jpeg-slide.ts';

const C2 = join(SHARED, 'her2st', 'images', 'C2.jpg');
const JPEG_DIR = join(FIXTURES, 'jpeg');

function input(bytes: Uint8Array, name: string) {
  return { source: new BlobByteSource(new Blob([bytes as Uint8Array<ArrayBuffer>]), name) };
}

describe('IndexedJpegSlide: a JPEG opened tile by tile', () => {
  const codec = createNodeCodec();
  let indexed: SlideSource;
  let whole: SlideSource;
  beforeAll(async () => {
    const bytes = new Uint8Array(readFileSync(C2));
    // the threshold lowered so the 92 Mpx HER2ST image takes the path a 1 Gpx export takes
    indexed = await loadSlide(input(bytes, 'C2.jpg'), { codec, indexedJpegPixels: 0 });
    whole = await loadSlide(input(bytes, 'C2.jpg'), { codec });
  });
  afterAll(() => {
    indexed?.close();
    whole?.close();
  });

  it('has the same levels as the whole decode and says how it is read', () => {
    expect(indexed.meta.properties['image.access']).toBe('indexed');
    expect(whole.meta.properties['image.access']).toBeUndefined();
    expect(indexed.meta.levels).toEqual(whole.meta.levels);
    expect([indexed.meta.width, indexed.meta.height, indexed.meta.format]).toEqual([9274, 9911, 'image']);
  });

  it('levels 0-2 equal the whole decode exactly (regions across tile edges, the image edge)', async () => {
    const regions: [number, number, number, number, number][] = [
      [0, 4000, 5000, 700, 300],
      [0, 9000, 9700, 400, 400],
      [1, 2000, 3000, 900, 700],
      [2, 0, 0, 2319, 2478],
    ];
    for (const [level, x, y, w, h] of regions) {
      const a = await indexed.readRegion(level, x, y, w, h);
      const b = await whole.readRegion(level, x, y, w, h);
      expect(Buffer.compare(Buffer.from(a.data), Buffer.from(b.data)), `level ${level} at ${x},${y}`).toBe(0);
    }
  });

  it('levels 3 and coarser come from the DC coefficients: within a grey level of the halvings on average', async () => {
    for (let level = 3; level < indexed.meta.levels.length; level++) {
      const l = indexed.meta.levels[level];
      const a = await indexed.readRegion(level, 0, 0, l.width, l.height);
      const b = await whole.readRegion(level, 0, 0, l.width, l.height);
      let sum = 0;
      for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i] - b.data[i]);
      expect(sum / a.data.length, `level ${level}`).toBeLessThan(1);
    }
  });

  it('where the kept level cannot come from the DC coefficients (CMYK), it is decoded in pieces and halved: every level exact', async () => {
    const bytes = new Uint8Array(readFileSync(C2));
    const layout = getJpegLayout(bytes);
    if ('unsupported' in layout) throw new Error(layout.unsupported);
    const s = await IndexedJpegSlide.open(input(bytes, 'C2.jpg').source, layout, bytes, { codec, fullDecodeLevels: true });
    const top = s.meta.levels.length - 1;
    for (const level of [3, top]) {
      const l = s.meta.levels[level];
      const a = await s.readRegion(level, 0, 0, l.width, l.height);
      const b = await whole.readRegion(level, 0, 0, l.width, l.height);
      expect(Buffer.compare(Buffer.from(a.data), Buffer.from(b.data)), `level ${level}`).toBe(0);
    }
    s.close();
  });

  it('a JPEG at or under the threshold is decoded whole, as before', async () => {
    const small = new Uint8Array(readFileSync(join(JPEG_DIR, 'restart7-420.jpg')));
    const s = await loadSlide(input(small, 'small.jpg'), { codec });
    expect(s.meta.properties['image.access']).toBeUndefined();
    s.close();
  });
});

describe('a broken big JPEG', () => {
  it('truncated: which file, what is wrong, what to do; and no slide', async () => {
    const bytes = new Uint8Array(readFileSync(C2)).slice(0, 2_000_000);
    await expect(loadSlide(input(bytes, 'export.jpg'), { codec: createNodeCodec(), indexedJpegPixels: 0 })).rejects.toThrow(
      'export.jpg: is a JPEG image whose compressed data cannot be read (the compressed data ends before the last row (truncated file?)). The file is probably truncated or corrupt.',
    );
  });
});

describe('images bigger than the decoder takes whole', () => {
  // a codec that, like Chromium's, decodes whole images only up to a size (here 0.4 Mpx)
  const limited: ImageCodec = { ...createNodeCodec(), maxImagePixels: 400_000 };

  it('a baseline JPEG opens in pieces', async () => {
    const bytes = new Uint8Array(readFileSync(join(JPEG_DIR, 'restart7-420.jpg')));
    const s = await loadSlide(input(bytes, 'big.jpg'), { codec: limited, indexedJpegPixels: 400_000 });
    expect(s.meta.properties['image.access']).toBe('indexed');
    const tile = await s.readTile(0, 1, 1);
    const ref = await sharp(bytes).extract({ left: 512, top: 512, width: 291, height: 99 }).ensureAlpha().raw().toBuffer();
    expect(Buffer.compare(Buffer.from(tile.data), ref)).toBe(0);
    s.close();
  });

  it('a progressive JPEG gets a clear error: its size, why it cannot be read in pieces, what to do', async () => {
    const bytes = new Uint8Array(readFileSync(join(JPEG_DIR, 'progressive.jpg')));
    await expect(loadSlide(input(bytes, 'export.jpg'), { codec: limited, indexedJpegPixels: 400_000 })).rejects.toThrow(
      'export.jpg: is 803 x 611 px (0.5 Mpx), more than this browser decodes in one piece (0.4 Mpx), and it cannot be read in pieces: it is a progressive JPEG. Convert it to a pyramidal TIFF (vips tiffsave export.jpg slide.tif --tile --pyramid --compression jpeg) or save it as a baseline (non-progressive) JPEG, or use the fusescope CLI.',
    );
  });

  it('a PNG too: its size and what to do', async () => {
    const bytes = new Uint8Array(await sharp(join(JPEG_DIR, 'grey.jpg')).png().toBuffer());
    await expect(loadSlide(input(bytes, 'scan.png'), { codec: limited })).rejects.toThrow(/^scan\.png: is 803 x 611 px .* more than this browser decodes in one piece .*\. Convert it to a pyramidal TIFF \(vips tiffsave scan\.png slide\.tif --tile --pyramid --compression jpeg\), or use the fusescope CLI\.$/);
  });
});
