import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createNodeCodec } from '../image/node/sharp-codec.ts';
import { openNodeSlideInput } from '../slide/bytes/node-file-source.ts';
import { loadSlide } from '../slide/load-slide.ts';
import { getClosedMask, getHoleFilledMask, getSaturation, getTissueMaskFromSaturation, loadTissueMask } from './tissue.ts';

function grid(rows: string[]): { mask: Uint8Array; w: number; h: number } {
  const h = rows.length;
  const w = rows[0].length;
  const mask = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) mask[y * w + x] = rows[y][x] === '#' ? 1 : 0;
  return { mask, w, h };
}

function show(mask: Uint8Array, w: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < mask.length; i += w) out.push(Array.from(mask.subarray(i, i + w), (v) => (v ? '#' : '.')).join(''));
  return out;
}

describe('tissue mask', () => {
  it('saturation and the Otsu / minSaturation threshold', () => {
    const sat = getSaturation(Float32Array.from([255, 255, 255, 200, 100, 150, 0, 0, 0, 240, 240, 230]));
    expect(Array.from(sat)).toEqual([0, 0.5, 0, expect.closeTo(10 / 240, 6)]);
    const m = getTissueMaskFromSaturation(Float32Array.from([0, 0.01, 0.02, 0.5, 0.6, 0.55]), 0.05);
    expect(Array.from(m.mask)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(m.source).toBe('otsu');
    // all background: the minimum saturation wins, nothing is tissue
    const bg = getTissueMaskFromSaturation(Float32Array.from([0, 0.01, 0.02, 0.015]), 0.05);
    expect(bg).toMatchObject({ threshold: 0.05, source: 'minSaturation' });
    expect(Array.from(bg.mask)).toEqual([0, 0, 0, 0]);
  });

  it('fills enclosed holes but not background open to the border', () => {
    const g = grid(['.......', '.#####.', '.#..#..', '.#####.', '.......']);
    expect(show(getHoleFilledMask(g.mask, g.w, g.h), g.w)).toEqual(['.......', '.#####.', '.####..', '.#####.', '.......']);
    const open = grid(['.......', '.#####.', '.#.....', '.#####.', '.......']);
    expect(show(getHoleFilledMask(open.mask, open.w, open.h), open.w)).toEqual(['.......', '.#####.', '.#.....', '.#####.', '.......']);
  });

  it('closing joins tissue across a one-pixel gap and keeps the outline', () => {
    const g = grid(['.........', '.###.###.', '.###.###.', '.........']);
    expect(show(getClosedMask(g.mask, g.w, g.h, 1), g.w)).toEqual(['.........', '.#######.', '.#######.', '.........']);
  });
});

describe('is it brightfield H&E? (real slides)', () => {
  const DATA = resolve(__dirname, '../../../../shared/data');
  const check = async (path: string, mpp?: number) => {
    const slide = await loadSlide(await openNodeSlideInput(path), { codec: createNodeCodec() });
    try {
      return (await loadTissueMask(slide, mpp ?? slide.meta.mpp ?? 0.5, { minSaturation: 0.07, thumbnailMpp: 8 })).stain;
    } finally {
      slide.close();
    }
  };

  it('H&E scans pass: an SVS, a JPEG 2000 SVS, a HER2ST JPEG, a GlaS image', async () => {
    for (const [path, mpp] of [
      [`${DATA}/slides/CMU-1-Small-Region.svs`],
      [`${DATA}/slides/TCGA-CR-7395-01A-01-TS1.svs`],
      [`${DATA}/her2st/images/B4.jpg`, 0.69],
      [`${DATA}/glas/train/train_1.jpg`, 0.62],
    ] as [string, number?][]) {
      const s = await check(path, mpp);
      expect(s.problem, path).toBeNull();
      expect(s.p95Luminance).toBeGreaterThan(170);
    }
  }, 60_000);

  it('fluorescence is dark field (a DAPI NDPI, a Visium immunofluorescence image); a synthetic colour pyramid is not H&E-coloured', async () => {
    const dapi = await check(`${DATA}/slides/fluorescence-DAPI.ndpi`);
    expect(dapi).toMatchObject({ darkField: true, notHe: false });
    expect(dapi.problem).toMatch(/^looks like a fluorescence or dark-field image, not a brightfield H&E scan \(95% of its pixels are darker than 1[78]\/255\)/);
    expect((await check(`${DATA}/visium/ovarian_cancer/spatial/tissue_hires_image.png`, 3.74)).darkField).toBe(true);
    const synthetic = await check(`${DATA}/slides/synthetic-4-level-pyramid.tiff`, 0.5);
    expect(synthetic).toMatchObject({ darkField: false, notHe: true });
    expect(synthetic.problem).toMatch(/^its tissue is not H&E-coloured \(mean RGB \d+, \d+, \d+;/);
  }, 60_000);
});
