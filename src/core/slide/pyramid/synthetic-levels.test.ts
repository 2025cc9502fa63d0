import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { halve } from '../../image/rgba.ts';
import { createNodeCodec } from '../../image/node/sharp-codec.ts';
import { BlobByteSource } from '../bytes/blob-source.ts';
import { loadSlide } from '../load-slide.ts';
import { loadTiffSlide } from '../tiff/open-tiff.ts';
import { SyntheticLevelsSlide } from './synthetic-levels.ts';
import { SHARED } from '../testing/refs.ts';
import type { RgbaImage, SlideSource } from '../types.ts';

const C2 = join(SHARED, 'her2st', 'images', 'C2.jpg');

describe('synthetic levels below a single-resolution TIFF', () => {
  const codec = createNodeCodec();
  let dir: string;
  let slide: SlideSource;
  let level0: RgbaImage;
  beforeAll(async () => {
    // a microscope-style export: HER2ST C2 (9,274 x 9,911 px) as one tiled JPEG TIFF level, no pyramid
    dir = mkdtempSync(join(tmpdir(), 'fusescope-single-'));
    const file = join(dir, 'single.tif');
    await sharp(C2).tiff({ tile: true, tileWidth: 256, tileHeight: 256, compression: 'jpeg', quality: 85, pyramid: false }).toFile(file);
    const bytes = new Uint8Array(readFileSync(file));
    slide = await loadSlide({ source: new BlobByteSource(new Blob([bytes]), 'single.tif') }, { codec });
    level0 = await slide.readRegion(0, 0, 0, 9274, 9911);
  });
  afterAll(() => {
    slide?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gets halved levels down to one tile, the source level untouched', () => {
    expect(slide.meta.format).toBe('generic-tiff');
    expect(slide.meta.levels.map((l) => l.width)).toEqual([9274, 4637, 2319, 1160, 580, 290]);
    expect(slide.meta.levels[0].tileWidth).toBe(256);
    expect(slide.meta.levels[1].downsample).toBeCloseTo((9274 / 4637 + 9911 / 4956) / 2, 12);
    expect(slide.meta.properties['fusescope.synthetic-levels']).toBe('5');
  });

  it('levels 1-2 equal halving the source level whole; 3 and coarser come from the JPEG tiles\' DC coefficients, within a grey level', async () => {
    let ref = { data: level0.data as Uint8Array | Uint8ClampedArray, width: level0.width, height: level0.height };
    for (let level = 1; level < slide.meta.levels.length; level++) {
      ref = halve(ref.data, ref.width, ref.height, 4);
      const l = slide.meta.levels[level];
      expect([l.width, l.height]).toEqual([ref.width, ref.height]);
      const got = await slide.readRegion(level, 0, 0, l.width, l.height);
      if (level < 3) expect(Buffer.compare(Buffer.from(got.data), Buffer.from(ref.data)), `level ${level}`).toBe(0);
      else {
        let sum = 0;
        for (let i = 0; i < got.data.length; i++) sum += Math.abs(got.data[i] - ref.data[i]);
        expect(sum / got.data.length, `level ${level}`).toBeLessThan(1);
      }
      // a region that crosses tile edges, addressed in level-0 coordinates like openslide
      if (l.width > 600) {
        const ds = l.downsample;
        const part = await slide.readRegion(level, Math.round(500 * ds), Math.round(300 * ds), 100, 50);
        expect(Buffer.compare(Buffer.from(part.data.subarray(0, 400)), Buffer.from(got.data.subarray((300 * l.width + 500) * 4, (300 * l.width + 600) * 4)))).toBe(0);
      }
    }
  });

  it('the overview needs no tile decoded', async () => {
    const bytes = new Uint8Array(readFileSync(join(dir, 'single.tif')));
    let decodes = 0;
    const counting = {
      ...codec,
      decodeJpeg: (b: Uint8Array, o?: Parameters<typeof codec.decodeJpeg>[1]) => {
        decodes++;
        return codec.decodeJpeg(b, o);
      },
    };
    const s = await loadSlide({ source: new BlobByteSource(new Blob([bytes]), 'single.tif') }, { codec: counting });
    const top = s.meta.levels.length - 1;
    await s.readRegion(top, 0, 0, s.meta.levels[top].width, s.meta.levels[top].height);
    await s.readRegion(3, 0, 0, 1160, 1239);
    expect(decodes).toBe(0);
    s.close();
  });

  it('without the DC shortcut every level equals halving the source whole, whichever level is kept (built in one pass, or from blocks of the level above)', async () => {
    const bytes = new Uint8Array(readFileSync(join(dir, 'single.tif')));
    const refs: { data: Uint8Array | Uint8ClampedArray; width: number; height: number }[] = [level0];
    for (let level = 1; level < slide.meta.levels.length; level++) {
      const above = refs[level - 1];
      refs.push(halve(above.data, above.width, above.height, 4));
    }
    for (const keptPixels of [undefined, 1_000_000]) {
      const inner = await loadTiffSlide(new BlobByteSource(new Blob([bytes]), 'single.tif'), { codec });
      const exact = SyntheticLevelsSlide.wrap(inner, { keptPixels, fromDc: false });
      for (let level = 1; level < exact.meta.levels.length; level++) {
        const l = exact.meta.levels[level];
        const a = await exact.readRegion(level, 0, 0, l.width, l.height);
        expect(Buffer.compare(Buffer.from(a.data), Buffer.from(refs[level].data)), `kept ${keptPixels}, level ${level}`).toBe(0);
      }
      exact.close();
    }
  });

  it('a TIFF with a pyramid, or a small one, is left as it is', async () => {
    for (const name of ['pyramid-jpeg.tif', 'ome-subifds.ome.tif']) {
      const bytes = new Uint8Array(readFileSync(join(import.meta.dirname, '../../../../tests/fixtures/slides', name)));
      const s = await loadSlide({ source: new BlobByteSource(new Blob([bytes]), name) }, { codec });
      expect(s.meta.properties['fusescope.synthetic-levels'], name).toBeUndefined();
      s.close();
    }
  });
});
