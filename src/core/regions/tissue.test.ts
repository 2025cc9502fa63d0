import { describe, expect, it } from 'vitest';
import { getClosedMask, getHoleFilledMask, getSaturation, getTissueMaskFromSaturation } from './tissue.ts';

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
