import { describe, expect, it } from 'vitest';
import { getAutoRange, getCategoricalColours, getColourTable, getContinuousColours, getGradientCss, getQuantiles, getRgb, MISSING_RGBA } from './colour';

describe('colour maps', () => {
  it('viridis ends are the published colours; RdBu reversed runs blue -> red', () => {
    const v = getColourTable('viridis');
    expect(Array.from(v.subarray(0, 3))).toEqual([68, 1, 84]);
    expect(Array.from(v.subarray(255 * 3))).toEqual([253, 231, 37]);
    const d = getColourTable('rdbu-r');
    expect(d[2]).toBeGreaterThan(d[0]); // low end blue
    expect(d[255 * 3]).toBeGreaterThan(d[255 * 3 + 2]); // high end red
  });

  it('parses hex and rgb() colours', () => {
    expect(getRgb('#4e79a7')).toEqual([78, 121, 167]);
    expect(getRgb('rgb(1, 2, 3)')).toEqual([1, 2, 3]);
  });

  it('quantiles interpolate linearly and skip NaN', () => {
    expect(getQuantiles([0, 10, Number.NaN, 20], [0, 0.5, 0.25, 1])).toEqual([0, 10, 5, 20]);
    expect(getAutoRange([3, 3, 3])).toEqual([3, 4]);
  });

  it('continuous colours clamp, NaN is the missing grey, categories use Tableau10', () => {
    const c = getContinuousColours(Float32Array.from([-5, 0, 1, 9, Number.NaN]), 0, 1, 'viridis');
    expect(Array.from(c.subarray(0, 4))).toEqual([68, 1, 84, 255]);
    expect(Array.from(c.subarray(12, 16))).toEqual([253, 231, 37, 255]);
    expect(Array.from(c.subarray(16, 20))).toEqual(MISSING_RGBA);
    const k = getCategoricalColours(Int32Array.from([0, 1, -1, 10]));
    expect(Array.from(k.subarray(0, 3))).toEqual([78, 121, 167]);
    expect(Array.from(k.subarray(8, 12))).toEqual(MISSING_RGBA);
    expect(Array.from(k.subarray(12, 15))).toEqual([78, 121, 167]);
    expect(getGradientCss('magma')).toMatch(/^linear-gradient\(to right, rgb\(0, 0, 4\) 0\.0%/);
  });
});
