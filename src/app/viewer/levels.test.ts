import { describe, expect, it } from 'vitest';
import type { SlideMetadata } from '../../core/slide/types';
import { getOsdLevels, getSyntheticRegion } from './levels';

function meta(levels: [number, number, number][]): SlideMetadata {
  const [w0, h0] = levels[0];
  return {
    format: 'test',
    name: 't',
    width: w0,
    height: h0,
    levels: levels.map(([w, h, t]) => ({ width: w, height: h, downsample: w0 / w, tileWidth: t, tileHeight: t })),
    tileWidth: levels[0][2],
    tileHeight: levels[0][2],
    mpp: null,
    mppSource: 'none',
    objective: null,
    associated: [],
    properties: {},
  };
}

describe('getOsdLevels', () => {
  it('CMU-1-Small-Region (one 2220 x 2967 level, 240 px tiles): four synthetic levels below it, smallest first', () => {
    const levels = getOsdLevels(meta([[2220, 2967, 240]]));
    expect(levels.map((l) => [l.width, l.height, l.synthetic])).toEqual([
      [139, 186, true],
      [278, 371, true],
      [555, 742, true],
      [1110, 1484, true],
      [2220, 2967, false],
    ]);
    expect(levels[4].tileWidth).toBe(240);
    expect(levels.every((l) => l.slideLevel === 0)).toBe(true);
    for (let i = 1; i < levels.length; i++) expect(levels[i].scale).toBeGreaterThan(levels[i - 1].scale);
  });

  it('a pyramid whose coarsest level is small needs no synthetic level; OSD order is reversed', () => {
    const levels = getOsdLevels(meta([[4637, 4956, 256], [2318, 2478, 256], [1159, 1239, 256], [579, 619, 256], [289, 309, 256], [144, 154, 256]]));
    expect(levels.map((l) => l.slideLevel)).toEqual([5, 4, 3, 2, 1, 0]);
    expect(levels.some((l) => l.synthetic)).toBe(false);
    expect(levels[0].scale).toBeCloseTo(144 / 4637, 9);
  });

  it('the finest synthetic tile reads a 2x region of the coarsest level and is cropped at the edge', () => {
    const m = meta([[4443, 3567, 256], [2221, 1783, 256]]);
    const levels = getOsdLevels(m);
    const finestSynthetic = levels.findIndex((l) => !l.synthetic) - 1;
    const l = levels[finestSynthetic];
    expect(l.slideLevel).toBe(1);
    const r = getSyntheticRegion(m, l, 0, 0);
    expect(r).toMatchObject({ x: 0, y: 0, outWidth: 256, outHeight: 256 });
    expect(r.width).toBeGreaterThanOrEqual(511);
    expect(r.width).toBeLessThanOrEqual(513);
    const cols = Math.ceil(l.width / l.tileWidth);
    const last = getSyntheticRegion(m, l, cols - 1, 0);
    expect(last.outWidth).toBe(l.width - (cols - 1) * 256);
    // level-0 x of the last tile plus its span stays inside the slide
    expect(last.x + last.width * (m.width / 2221)).toBeLessThanOrEqual(m.width + 4);
  });
});
