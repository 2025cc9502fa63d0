import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeCodec } from '../image/node/sharp-codec.ts';
import { openNodeSlideInput } from '../slide/bytes/node-file-source.ts';
import { loadSlide } from '../slide/load-slide.ts';
import type { SlideSource } from '../slide/types.ts';
import { getPatchGeometry, readPatchBatch, readPatchRgb } from './patch.ts';

const DATA = resolve(__dirname, '../../../../shared/data');

describe('patch extraction on a real slide (CMU-1-Small-Region.svs)', () => {
  let slide: SlideSource;
  beforeAll(async () => {
    slide = await loadSlide(await openNodeSlideInput(`${DATA}/slides/CMU-1-Small-Region.svs`), { codec: createNodeCodec() });
  });
  afterAll(() => slide?.close());

  it('at the slide um/px a patch is exactly the level-0 crop', async () => {
    const mpp = slide.meta.mpp!;
    const P = 64;
    const geom = getPatchGeometry(slide.meta, mpp, P, mpp);
    expect(geom).toMatchObject({ level: 0, scale: 1, sideL0: P });
    const cx = 1000;
    const cy = 1500; // patch covers level-0 [968, 1032) x [1468, 1532)
    const rgb = await readPatchRgb(slide, geom, cx, cy);
    const crop = await slide.readRegion(0, cx - P / 2, cy - P / 2, P, P);
    for (let p = 0; p < P * P; p++) {
      for (let c = 0; c < 3; c++) expect(rgb[p * 3 + c]).toBeCloseTo(crop.data[p * 4 + c], 3);
    }
  });

  it('at twice the slide um/px a patch is the 2x2 area average of the level-0 crop', async () => {
    const mpp = slide.meta.mpp!;
    const P = 32;
    const geom = getPatchGeometry(slide.meta, mpp, P, 2 * mpp);
    expect(geom.scale).toBeCloseTo(2, 12);
    const cx = 700;
    const cy = 900;
    const rgb = await readPatchRgb(slide, geom, cx, cy);
    const crop = await slide.readRegion(0, cx - P, cy - P, 2 * P, 2 * P);
    for (let j = 0; j < P; j++) {
      for (let i = 0; i < P; i++) {
        for (let c = 0; c < 3; c++) {
          let s = 0;
          for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) s += crop.data[((2 * j + dy) * 2 * P + 2 * i + dx) * 4 + c];
          expect(rgb[(j * P + i) * 3 + c]).toBeCloseTo(s / 4, 3);
        }
      }
    }
  });

  it('upsampling is bilinear between level-0 pixel centres', async () => {
    const mpp = slide.meta.mpp!;
    const P = 16;
    const geom = getPatchGeometry(slide.meta, mpp, P, mpp / 2); // 2 patch px per slide px
    expect(geom.scale).toBeCloseTo(0.5, 12);
    const cx = 1200;
    const cy = 800; // patch covers level-0 [1196, 1204) x [796, 804)
    const rgb = await readPatchRgb(slide, geom, cx, cy);
    const crop = await slide.readRegion(0, 1195, 795, 10, 10);
    // output pixel i centre at level-0 x = 1196 + (i + 0.5) / 2; pixel centres at integer + 0.5
    for (const [i, j] of [[0, 0], [5, 9], [15, 15], [7, 2]]) {
      const u = 1196 + (i + 0.5) / 2 - 0.5 - 1195;
      const v = 796 + (j + 0.5) / 2 - 0.5 - 795;
      const x0 = Math.floor(u);
      const y0 = Math.floor(v);
      const fx = u - x0;
      const fy = v - y0;
      for (let c = 0; c < 3; c++) {
        const at = (x: number, y: number) => crop.data[(y * 10 + x) * 4 + c];
        const want = (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
        expect(rgb[(j * P + i) * 3 + c]).toBeCloseTo(want, 3);
      }
    }
  });

  it('a batch of neighbouring patches (one region read) equals patches read one by one', async () => {
    const mpp = slide.meta.mpp!;
    const P = 24;
    const geom = getPatchGeometry(slide.meta, mpp, P, 1.5); // ~3 level-0 px per patch px, area averaging
    const cx = [500.3, 560.7, 621.1, 681.5, 741.9];
    const cy = [800.2, 800.2, 800.2, 830.9, 800.2];
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    const batch = await readPatchBatch(slide, geom, cx, cy, mean, std);
    const plane = 3 * P * P;
    for (let i = 0; i < cx.length; i++) {
      const one = await readPatchBatch(slide, geom, [cx[i]], [cy[i]], mean, std);
      for (let q = 0; q < plane; q += 7) expect(batch[i * plane + q]).toBeCloseTo(one[q], 4);
    }
  });

  it('outside the slide is white, and the batch is normalised NCHW', async () => {
    const mpp = slide.meta.mpp!;
    const P = 8;
    const geom = getPatchGeometry(slide.meta, mpp, P, mpp);
    const mean = [0.5, 0.4, 0.3];
    const std = [0.2, 0.25, 0.5];
    const batch = await readPatchBatch(slide, geom, [-100, 1000], [-100, 1500], mean, std);
    expect(batch.length).toBe(2 * 3 * P * P);
    for (let c = 0; c < 3; c++) expect(batch[c * P * P + 5]).toBeCloseTo((1 - mean[c]) / std[c], 5);
    const rgb = await readPatchRgb(slide, geom, 1000, 1500);
    for (let c = 0; c < 3; c++) expect(batch[3 * P * P + c * P * P + 9]).toBeCloseTo((rgb[9 * 3 + c] / 255 - mean[c]) / std[c], 5);
  });
});
