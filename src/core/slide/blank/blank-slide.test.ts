import { describe, expect, it } from 'vitest';
import { createNodeCodec } from '../../image/node/sharp-codec.ts';
import { BlobByteSource } from '../bytes/blob-source.ts';
import { loadSlide } from '../load-slide.ts';
import { SlideError } from '../types.ts';
import { BLANK_SLIDE_SUFFIX, getBlankSlideDescriptor, isBlankSlide } from './blank-slide.ts';

function open(bytes: Uint8Array<ArrayBuffer>, name: string, mpp?: number) {
  return loadSlide({ source: new BlobByteSource(new Blob([bytes]), name) }, { codec: createNodeCodec(), mpp });
}

describe('blank canvas for spots without an image', () => {
  it('opens from its descriptor through loadSlide: levels, um/px from the spots, flat opaque tiles, transparent outside', async () => {
    const slide = await open(getBlankSlideDescriptor(9000.4, 3000, 0.69, 'no image'), `B1${BLANK_SLIDE_SUFFIX}`);
    expect(isBlankSlide(slide.meta)).toBe(true);
    expect(slide.meta).toMatchObject({ name: 'B1', width: 9001, height: 3000, mpp: 0.69, mppSource: 'st-pitch', associated: [] });
    // halved down to one 512 px tile
    expect(slide.meta.levels.map((l) => l.width)).toEqual([9001, 4501, 2251, 1126, 563, 282]);
    const tile = await slide.readTile(5, 0, 0);
    expect([tile.width, tile.height]).toEqual([282, 94]);
    expect(Array.from(tile.data.subarray(0, 4))).toEqual([236, 236, 236, 255]);
    expect(tile.data.every((v, i) => (i % 4 === 3 ? v === 255 : v === 236))).toBe(true);
    // read_region past the right edge: transparent there, like openslide
    const r = await slide.readRegion(0, 8990, 0, 20, 2);
    expect(r.data[(0 * 20 + 5) * 4 + 3]).toBe(255);
    expect(r.data[(0 * 20 + 15) * 4 + 3]).toBe(0);
    await expect(slide.readAssociated('label')).rejects.toThrow(/blank canvas/);
    slide.close();
  });

  it('a long note (a folder of many files) is cut, and the descriptor still opens', async () => {
    const slide = await open(getBlankSlideDescriptor(100, 100, 1, `spots of ${'outs/spatial/some_long_file_name.csv, '.repeat(200)}`), `x${BLANK_SLIDE_SUFFIX}`);
    expect(slide.meta.properties['fusescope.blank.note'].length).toBe(500);
  });

  it('a user um/px overrides the spots; unknown um/px stays unknown', async () => {
    const a = await open(getBlankSlideDescriptor(100, 100, 0.5), `x${BLANK_SLIDE_SUFFIX}`, 0.25);
    expect([a.meta.mpp, a.meta.mppSource]).toEqual([0.25, 'user']);
    const b = await open(getBlankSlideDescriptor(100, 100, null), `x${BLANK_SLIDE_SUFFIX}`);
    expect([b.meta.mpp, b.meta.mppSource]).toEqual([null, 'none']);
  });

  it('a damaged descriptor is a clear error, and the same JSON under another name is not taken for one', async () => {
    const bad = new TextEncoder().encode('{"fusescope": "blank-slide", "version": 1, "width": -3}');
    const err = await open(bad, `x${BLANK_SLIDE_SUFFIX}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlideError);
    expect(String(err)).toMatch(/not a valid blank-canvas descriptor \(width must be an integer from 1 to 200000, got -3\)/);
    await expect(open(getBlankSlideDescriptor(10, 10, 1), 'x.json')).rejects.toThrow(/json/i);
  });
});
