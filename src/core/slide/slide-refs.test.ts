/**
 * readRegion, metadata and associated images against references made by openslide 3.4.1
 * (SVS JPEG, SVS JPEG 2000, NDPI, generic TIFF/BigTIFF), tifffile (OME-TIFF), the DZI tiles and
 * PIL (plain JPEG): tests/fixtures/slide-refs/make_refs.py. Pixels through the Node codec (sharp).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crop } from '../image/rgba.ts';
import { createNodeCodec } from '../image/node/sharp-codec.ts';
import { openNodeSlideInput } from './bytes/node-file-source.ts';
import { loadSlide } from './load-slide.ts';
import { compareImages, loadRef, REFS, readPng, ROOT } from './testing/refs.ts';
import type { SlideSource } from './types.ts';

const codec = createNodeCodec();

interface Case {
  id: string;
  format: string;
  /** max mean absolute difference per channel (0-255 scale) */
  tolerance: number;
  /** compare tile sizes with openslide's */
  tiles: boolean;
  associated?: boolean;
  /** loadSlide options beyond the codec, and what the case is called then */
  options?: { indexedJpegPixels: number };
  label?: string;
}

const CASES: Case[] = [
  { id: 'cmu1', format: 'aperio-svs', tolerance: 2, tiles: true, associated: true },
  { id: 'tcga', format: 'aperio-svs', tolerance: 2, tiles: true, associated: true },
  { id: 'ndpi', format: 'ndpi', tolerance: 2, tiles: false, associated: true },
  // the path every level of a real brightfield NDPI (tens of Gpx) takes: tiles cut out at the restart markers
  { id: 'ndpi', format: 'ndpi', tolerance: 2, tiles: false, options: { indexedJpegPixels: 0 }, label: 'ndpi, levels cut at restart markers' },
  // the path of a plain JPEG over 134 Mpx
  { id: 'her2st-c2', format: 'image', tolerance: 1, tiles: false, options: { indexedJpegPixels: 0 }, label: 'her2st-c2, cut into tiles' },
  { id: 'synthetic', format: 'generic-tiff', tolerance: 0, tiles: true },
  { id: 'pyramid-jpeg', format: 'generic-tiff', tolerance: 2, tiles: true },
  { id: 'pyramid-bigtiff', format: 'generic-tiff', tolerance: 2, tiles: true },
  { id: 'ome-subifds', format: 'ome-tiff', tolerance: 0, tiles: false },
  { id: 'ome-separate', format: 'ome-tiff', tolerance: 0, tiles: false },
  { id: 'dzi', format: 'dzi', tolerance: 1, tiles: false },
  { id: 'her2st-c2', format: 'image', tolerance: 1, tiles: false },
];

for (const c of CASES) {
  describe(`${c.label ?? c.id} vs reference`, () => {
    const ref = loadRef(c.id);
    let slide: SlideSource;
    beforeAll(async () => {
      slide = await loadSlide(await openNodeSlideInput(join(ROOT, ref.file)), { codec, ...c.options });
    });
    afterAll(() => slide?.close());

    it('has the reference metadata', () => {
      const m = slide.meta;
      expect(m.format).toBe(c.format);
      expect([m.width, m.height]).toEqual([ref.width, ref.height]);
      expect(m.levels.length).toBe(ref.levels.length);
      ref.levels.forEach((l, i) => {
        expect([m.levels[i].width, m.levels[i].height]).toEqual([l.width, l.height]);
        expect(m.levels[i].downsample).toBeCloseTo(l.downsample, 9);
        if (c.tiles) expect([m.levels[i].tileWidth, m.levels[i].tileHeight]).toEqual([l.tileWidth, l.tileHeight]);
      });
      if (ref.tileWidth) expect([m.tileWidth, m.tileHeight]).toEqual([ref.tileWidth, ref.tileHeight]);
      if (ref.mpp === null) expect(m.mpp).toBeNull();
      else expect(m.mpp).toBeCloseTo(ref.mpp, 9);
      expect(m.mppSource).toBe(ref.mpp === null ? 'none' : 'file');
      expect(m.objective).toBe(ref.objective);
      expect([...m.associated].sort()).toEqual(Object.keys(ref.associated).sort());
    });

    for (const r of ref.regions) {
      it(`readRegion(level ${r.level}, ${r.x}, ${r.y}, ${r.width} x ${r.height})`, async () => {
        const got = await slide.readRegion(r.level, r.x, r.y, r.width, r.height);
        const want = readPng(join(REFS, r.png));
        const d = compareImages(got, want);
        expect(d.alphaMismatch).toBe(0);
        for (const v of d.meanAbs) expect(v).toBeLessThanOrEqual(c.tolerance);
      });
    }

    if (c.associated) {
      it('associated images have openslide sizes and pixels', async () => {
        for (const [name, [w, h]] of Object.entries(ref.associated)) {
          const img = await slide.readAssociated(name);
          expect([img.width, img.height]).toEqual([w, h]);
          const cr = ref.associatedCrops?.[name];
          if (cr) {
            const d = compareImages(crop(img, cr.x, cr.y, cr.width, cr.height), readPng(join(REFS, cr.png)));
            expect(d.alphaMismatch).toBe(0);
            for (const v of d.meanAbs) expect(v).toBeLessThanOrEqual(2);
          }
        }
        await expect(slide.readAssociated('nope')).rejects.toThrow(/no associated image 'nope'/);
      });
    }
  });
}
