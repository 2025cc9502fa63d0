import { describe, expect, it } from 'vitest';
import type { SlideMetadata } from '../../core/slide/types';
import { getChildTiles, getOsdLevels } from './levels';

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

  it('a CMU-1 synthetic tile is drawn from the 240 px native tiles under it, each native tile used by few tiles', () => {
    const levels = getOsdLevels(meta([[2220, 2967, 240]]));
    const native = levels[4];
    const half = levels[3];
    const t00 = getChildTiles(half, native, 0, 0);
    expect(t00.ratio).toBeCloseTo(0.5, 9);
    expect(t00.children.map((c) => [c.col, c.row])).toEqual([
      [0, 0], [1, 0], [2, 0],
      [0, 1], [1, 1], [2, 1],
      [0, 2], [1, 2], [2, 2],
    ]);
    expect(t00.children[1]).toMatchObject({ dx: 120, dy: 0 });
    // tile (1, 0) starts at native x 512: native column 2 starts 32 native px (16 px) earlier
    const t10 = getChildTiles(half, native, 1, 0);
    expect(t10.children[0]).toMatchObject({ col: 2, row: 0, dx: -16, dy: 0 });
    // every native tile is covered, and by at most 4 synthetic tiles
    const uses = new Map<string, number>();
    for (let r = 0; r < Math.ceil(half.height / 256); r++)
      for (let c = 0; c < Math.ceil(half.width / 256); c++)
        for (const ch of getChildTiles(half, native, c, r).children) uses.set(`${ch.col},${ch.row}`, (uses.get(`${ch.col},${ch.row}`) ?? 0) + 1);
    expect(uses.size).toBe(Math.ceil(2220 / 240) * Math.ceil(2967 / 240));
    expect(Math.max(...uses.values())).toBeLessThanOrEqual(4);
  });

  it('a coarser synthetic tile is drawn from 2 x 2 tiles of the synthetic level below, cropped at the edge', () => {
    const levels = getOsdLevels(meta([[2220, 2967, 240]]));
    const t = getChildTiles(levels[2], levels[3], 2, 0); // 555 px wide level, last column
    expect(t.outWidth).toBe(555 - 512);
    expect(t.children.map((c) => [c.col, c.row, c.dx, c.dy])).toEqual([[4, 0, 0, 0], [4, 1, 0, 128]]);
  });
});
