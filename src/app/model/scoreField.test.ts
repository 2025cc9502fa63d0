import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadNodeStFiles } from '../../core/st/files/node';
import { loadStDataset } from '../../core/st/load';
import type { StDataset } from '../../core/st/types';
import { getCancerRegions } from '../../core/regions/contours';
import { getHistogram, getRegionRows, getRegionSummary, getSpotRaster, getThreshold } from './scoreField';

const HER2ST = resolve(__dirname, '../../../../shared/data/her2st');

describe('score field of real HER2ST spots (B4)', () => {
  let st: StDataset;
  beforeAll(async () => {
    st = await loadStDataset(await loadNodeStFiles([`${HER2ST}/counts/B4.tsv.gz`, `${HER2ST}/spots/B4_selection.tsv`]), {});
  });

  it('paints each spot onto a half-pitch grid and contours a half-plane field into the right area', () => {
    const { x, y } = st.spots;
    const xs = Float64Array.from(x).sort();
    const mid = xs[Math.floor(xs.length / 2)];
    const values = Float32Array.from(x, (v) => (v > mid ? 0.9 : 0.1));
    const raster = getSpotRaster(x, y, values);
    expect(raster).not.toBeNull();
    const r = raster!;
    // legacy ST pitch ~290 px at full resolution: cells of half that
    expect(r.cellPx).toBeGreaterThan(120);
    expect(r.cellPx).toBeLessThan(170);
    // every spot's own cell carries its value
    for (let i = 0; i < x.length; i += 7) {
      const col = Math.floor((x[i] - r.originX) / r.cellPx);
      const row = Math.floor((y[i] - r.originY) / r.cellPx);
      expect(r.values[row * r.width + col]).toBeCloseTo(values[i], 5);
    }
    const t = getThreshold(values, 'otsu', 0.5, null);
    expect(t.threshold).toBeGreaterThan(0.1);
    expect(t.threshold).toBeLessThanOrEqual(0.9);
    const s = getRegionSummary(r, t, 0.69, null);
    expect(s.regions.polygons.length).toBeGreaterThan(0);
    // about half of the painted tissue is above the threshold
    expect(s.cancerFraction!).toBeGreaterThan(0.35);
    expect(s.cancerFraction!).toBeLessThan(0.65);
    // areas in mm2: ~283 spots x (200 um pitch)^2 of tissue ~ 11 mm2
    expect(s.tissueAreaMm2!).toBeGreaterThan(6);
    expect(s.tissueAreaMm2!).toBeLessThan(20);
    // outlines lie within the spots' extent (level-0 px)
    for (const poly of s.regions.polygons) for (const [px] of poly[0]) expect(px).toBeGreaterThan(mid - 2 * r.cellPx);
  });

  it('a user threshold overrides the label-free one; the histogram counts every finite value', () => {
    const values = Float32Array.from(st.spots.x, (_, i) => (i % 10) / 10);
    expect(getThreshold(values, 'gmm-intersection', 0.5, 0.42).threshold).toBe(0.42);
    const h = getHistogram([...values, Number.NaN], 10);
    expect(h.reduce((a, b) => a + b, 0)).toBe(values.length);
    expect(h[0]).toBe(Math.ceil(values.length / 10));
  });
});

describe('region list rows', () => {
  it('largest first, with mm2, greatest dimension and the bounding box to zoom to', () => {
    // 30 x 20 cells of 10 px at origin (0, 0): a 4 x 4 block and a 10 x 6 block
    const width = 30;
    const values = new Float32Array(width * 20).map((_, i) => {
      const x = i % width;
      const y = Math.floor(i / width);
      return (x >= 2 && x < 6 && y >= 2 && y < 6) || (x >= 12 && x < 22 && y >= 8 && y < 14) ? 0.9 : 0.1;
    });
    const regions = getCancerRegions({ width, height: 20, originX: 0, originY: 0, cellPx: 10, values }, 0.5);
    const rows = getRegionRows(regions, 0.5);
    expect(rows.map((r) => r.areaPx2)).toEqual([(60 - 0.5) * 100, (16 - 0.5) * 100]);
    expect(rows[0].areaMm2).toBeCloseTo((5950 * 0.25) / 1e6, 12);
    // cut corners (12, 8.5) to (22, 13.5) cells: hypot(10, 5) cells of 10 px at 0.5 um/px
    expect(rows[0].maxDiameterMm).toBeCloseTo((Math.hypot(100, 50) * 0.5) / 1000, 12);
    expect(rows[0].bounds).toEqual({ x: 120, y: 80, width: 100, height: 60 });
    expect(rows[0].meanValue).toBeCloseTo(0.9, 6);
    expect(getRegionRows(regions, null)[0].areaMm2).toBeNull();
    expect(getRegionRows(regions, 0.5, 1)).toHaveLength(1);
  });
});
