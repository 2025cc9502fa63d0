/** Format detection, clear errors on bad input, File[] inputs, abort, cache bound, mpp override. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createNodeCodec } from '../image/node/sharp-codec.ts';
import { BlobByteSource, slideInputFromFiles } from './bytes/blob-source.ts';
import type { ByteSource } from './bytes/byte-source.ts';
import { openNodeSlideInput } from './bytes/node-file-source.ts';
import { detectFormat } from './detect.ts';
import { IMAGE_TILE } from './image/image-slide.ts';
import { loadSlide } from './load-slide.ts';
import { ByteLruCache } from './lru-cache.ts';
import { compareImages, FIXTURES, loadRef, REFS, readPng, SHARED, SLIDES } from './testing/refs.ts';
import { SlideError } from './types.ts';

const codec = createNodeCodec();
const C = join(FIXTURES, 'corrupt');

function head(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path).subarray(0, 64 * 1024));
}

function memorySource(name: string, bytes: Uint8Array): ByteSource {
  return new BlobByteSource(new Blob([bytes as Uint8Array<ArrayBuffer>]), name);
}

describe('detectFormat', () => {
  it.each([
    [join(SLIDES, 'CMU-1-Small-Region.svs'), 'tiff', 'tiff'],
    [join(SLIDES, 'fluorescence-DAPI.ndpi'), 'ndpi', 'ndpi'],
    [join(FIXTURES, 'pyramid-bigtiff.tif'), 'tiff', 'tiff'],
    [join(FIXTURES, 'dzi', 'crop.dzi'), 'dzi', 'dzi'],
    [join(FIXTURES, 'dzi', 'crop_files', '0', '0_0.jpg'), 'jpeg', 'image'],
  ])('%s -> %s', (path, id, folder) => {
    const d = detectFormat(head(path), path.split('/').pop() as string, statSync(path).size);
    expect(d.id).toBe(id);
    expect(d.folder).toBe(folder);
  });

  it('opens an NDPI by its tags even without the .ndpi name', async () => {
    const bytes = new Uint8Array(readFileSync(join(SLIDES, 'fluorescence-DAPI.ndpi')));
    const slide = await loadSlide({ source: memorySource('renamed.tif', bytes) }, { codec });
    expect(slide.meta.format).toBe('ndpi');
    expect(slide.meta.objective).toBe(40);
    slide.close();
  });

  it('NDPI levels cut into tiles at their restart markers (how a real brightfield NDPI is read) equal the whole-level decode', async () => {
    const bytes = new Uint8Array(readFileSync(join(SLIDES, 'fluorescence-DAPI.ndpi')));
    const cut = await loadSlide({ source: memorySource('a.ndpi', bytes) }, { codec, indexedJpegPixels: 0 });
    const whole = await loadSlide({ source: memorySource('b.ndpi', bytes) }, { codec });
    for (const level of [0, 1, 3]) {
      const l = cut.meta.levels[level];
      const a = await cut.readRegion(level, 0, 0, l.width, l.height);
      const b = await whole.readRegion(level, 0, 0, l.width, l.height);
      expect(Buffer.compare(Buffer.from(a.data), Buffer.from(b.data)), `level ${level}`).toBe(0);
    }
    cut.close();
    whole.close();
  });

  it('names unsupported vendor formats', () => {
    expect(() => detectFormat(new Uint8Array([1, 2, 3, 4]), 'slide.mrxs', 4)).toThrow(/3DHISTECH MIRAX \(\.mrxs\) slide, which FuseScope cannot read/);
  });
});

describe('bad input gives a SlideError naming the file', () => {
  it.each([
    ['empty.svs', /empty\.svs: is empty \(0 bytes\)/],
    ['not-a-slide.svs', /not-a-slide\.svs: is named like a slide but its content is not one/],
    ['truncated.svs', /truncated\.svs: is a damaged TIFF.*past the end of the file/],
    ['unknown-compression.tif', /unknown-compression\.tif: uses an unknown compression \(TIFF compression code 12345\)/],
  ])('%s', async (name, pattern) => {
    const err = await loadSlide(await openNodeSlideInput(join(C, name)), { codec }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SlideError);
    expect((err as SlideError).message).toMatch(pattern);
    expect((err as SlideError).message).not.toMatch(/\n/);
  });

  it('a tile past the end of a shrunken file', async () => {
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'pyramid-jpeg.tif')));
    const real = memorySource('shrunk.tif', bytes);
    // the file claims its full size, but the tile data of its first half is gone
    const shrunk: ByteSource = {
      name: 'shrunk.tif',
      size: real.size,
      read: async (o, l, s) => (o >= 4096 && o < 100_000 ? new Uint8Array(0) : real.read(o, l, s)),
    };
    const slide = await loadSlide({ source: shrunk }, { codec });
    await expect(slide.readRegion(0, 300, 0, 64, 64)).rejects.toThrow(/shrunk\.tif: the file is truncated/);
  });

  it('a truncated JPEG image', async () => {
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'dzi', 'crop_files', '9', '0_0.jpg')));
    const src = memorySource('half.jpg', bytes.subarray(0, bytes.length >> 1));
    await expect(loadSlide({ source: src }, { codec })).rejects.toThrow(/half\.jpg: is a JPEG image that cannot be decoded/);
  });

  it('an invalid mpp', async () => {
    await expect(loadSlide(await openNodeSlideInput(join(SLIDES, 'synthetic-4-level-pyramid.tiff')), { codec, mpp: -1 })).rejects.toThrow(/invalid mpp/);
  });

  it('a level or tile that does not exist', async () => {
    const slide = await loadSlide(await openNodeSlideInput(join(SLIDES, 'synthetic-4-level-pyramid.tiff')), { codec });
    await expect(slide.readRegion(4, 0, 0, 8, 8)).rejects.toThrow(/has no level 4 \(levels 0-3\)/);
    await expect(slide.readTile(0, 5, 0)).rejects.toThrow(/has no tile \(5, 0\) at level 0 \(grid 5 x 4\)/);
    slide.close();
  });
});

describe('inputs and options', () => {
  it('opens a dropped Deep Zoom folder (File[] with relative paths)', async () => {
    const dir = join(FIXTURES, 'dzi');
    const files: File[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else {
          const f = new File([readFileSync(p)], e.name);
          Object.defineProperty(f, 'webkitRelativePath', { value: `dzi/${relative(dir, p)}` });
          files.push(f);
        }
      }
    };
    walk(dir);
    const slide = await loadSlide(slideInputFromFiles(files), { codec });
    expect(slide.meta.format).toBe('dzi');
    const ref = loadRef('dzi');
    const r = ref.regions[1];
    const d = compareImages(await slide.readRegion(r.level, r.x, r.y, r.width, r.height), readPng(join(REFS, r.png)));
    expect(d.alphaMismatch).toBe(0);
    for (const v of d.meanAbs) expect(v).toBeLessThanOrEqual(1);
  });

  it('opens PNG and WebP images', async () => {
    const rgb = Buffer.alloc(600 * 400 * 3, 0);
    for (let i = 0; i < rgb.length; i += 3) rgb[i] = 200;
    for (const fmt of ['png', 'webp'] as const) {
      const bytes = await sharp(rgb, { raw: { width: 600, height: 400, channels: 3 } })[fmt]({ lossless: true } as never).toBuffer();
      const slide = await loadSlide({ source: memorySource(`x.${fmt}`, new Uint8Array(bytes)) }, { codec });
      expect(slide.meta.format).toBe('image');
      expect(slide.meta.levels.map((l) => [l.width, l.height])).toEqual([
        [600, 400],
        [300, 200],
      ]);
      const px = await slide.readRegion(1, 2, 2, 1, 1);
      expect(Array.from(px.data)).toEqual([200, 0, 0, 255]);
    }
  });

  it('--mpp style override marks the source user', async () => {
    const slide = await loadSlide(await openNodeSlideInput(join(SLIDES, 'CMU-1-Small-Region.svs')), { codec, mpp: 0.25 });
    expect(slide.meta.mpp).toBe(0.25);
    expect(slide.meta.mppSource).toBe('user');
    slide.close();
  });

  it('aborts a region read', async () => {
    const slide = await loadSlide(await openNodeSlideInput(join(SLIDES, 'CMU-1-Small-Region.svs')), { codec });
    const ctrl = new AbortController();
    ctrl.abort();
    await expect(slide.readRegion(0, 0, 0, 500, 500, ctrl.signal)).rejects.toThrow(/abort/i);
    // and the slide still works afterwards
    const ok = await slide.readRegion(0, 0, 0, 16, 16);
    expect(ok.width).toBe(16);
    slide.close();
  });

  it('serves the 9,274 x 9,911 px HER2ST JPEG from one decode', async () => {
    const path = join(SHARED, 'her2st', 'images', 'C3.jpg');
    let decodes = 0;
    const counting = {
      ...codec,
      decodeImage: (b: Uint8Array) => {
        decodes++;
        return codec.decodeImage(b);
      },
    };
    const slide = await loadSlide(await openNodeSlideInput(path), { codec: counting });
    for (let i = 0; i < 5; i++) await slide.readTile(0, i * 4, i * 3);
    await slide.readRegion(3, 4000, 4000, 300, 300);
    expect(decodes).toBe(1);
    expect(slide.meta.levels[0].tileWidth).toBe(IMAGE_TILE);
    expect(slide.meta.levels.at(-1)?.width).toBeLessThanOrEqual(IMAGE_TILE);
    slide.close();
  });
});

describe('ByteLruCache', () => {
  it('keeps within its byte bound and drops least recently used first', async () => {
    const cache = new ByteLruCache<Uint8Array>(100, (v) => v.length);
    await cache.getOrCreate('a', async () => new Uint8Array(40));
    await cache.getOrCreate('b', async () => new Uint8Array(40));
    await cache.getOrCreate('a', async () => new Uint8Array(1)); // touch a
    await cache.getOrCreate('c', async () => new Uint8Array(40));
    expect(cache.bytesUsed).toBeLessThanOrEqual(100);
    let made = false;
    await cache.getOrCreate('a', async () => {
      made = true;
      return new Uint8Array(40);
    });
    expect(made).toBe(false); // a survived, b was evicted
    await cache.getOrCreate('b', async () => {
      made = true;
      return new Uint8Array(40);
    });
    expect(made).toBe(true);
  });
});
