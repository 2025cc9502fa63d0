import { describe, expect, it } from 'vitest';
import { getCancerRegions, getClippedRing, getMaxDiameter, getPolygonArea, getRegionSizeFilter, getRegionsGeoJson, getRingArea, getValuesInside } from './contours.ts';
import type { ProbabilityRaster } from './raster.ts';
import { getRasterRgba } from './raster-image.ts';

function raster(width: number, height: number, cellPx: number, fill: (x: number, y: number) => number): ProbabilityRaster {
  const values = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) values[y * width + x] = fill(x, y);
  return { width, height, originX: 100, originY: 50, cellPx, values };
}

describe('cancer regions from a raster', () => {
  it('ring and polygon areas', () => {
    expect(getRingArea([[0, 0], [4, 0], [4, 3], [0, 3]])).toBe(12);
    expect(getPolygonArea([[[0, 0], [10, 0], [10, 10], [0, 10]], [[2, 2], [4, 2], [4, 4], [2, 4]]])).toBe(96);
  });

  it('greatest dimension (maximum Feret diameter) of a ring', () => {
    expect(getMaxDiameter([[0, 0], [4, 0], [4, 3], [0, 3], [0, 0]])).toBe(5);
    // an L: the far corners, not the longest edge; inner vertices do not matter
    expect(getMaxDiameter([[0, 0], [10, 0], [10, 2], [2, 2], [2, 10], [0, 10], [0, 0]])).toBeCloseTo(Math.hypot(10, 10), 12);
    expect(getMaxDiameter([[1, 1], [4, 5]])).toBe(5);
    expect(getMaxDiameter([])).toBe(0);
  });

  it('a rectangle of cancer cells with a hole, and a separate blob touching the border', () => {
    // 40 x 30 cells of 16 level-0 px; NaN (not tissue) in a corner
    const r = raster(40, 30, 16, (x, y) => {
      if (x >= 5 && x < 25 && y >= 4 && y < 20) return x >= 12 && x < 16 && y >= 10 && y < 14 ? 0.1 : 0.9; // 20x16 block, 4x4 hole
      if (x >= 34 && y >= 25) return 0.95; // 6x5 block at the bottom-right border
      if (x < 3 && y < 3) return Number.NaN;
      return 0.05;
    });
    const regions = getCancerRegions(r, 0.5);
    expect(regions.polygons.length).toBe(2);
    // marching squares cuts each corner by an eighth of a cell (d3-contour's unit-square cells):
    // the big block: 320 cells - 4 outer corners * 1/8, minus the hole, whose ring is cut at its corners too (16 - 4/8)
    const cell2 = 16 * 16;
    const big = (320 - 0.5 - (16 - 0.5)) * cell2;
    const small = (30 - 0.5) * cell2;
    const sorted = Array.from(regions.areasPx2).sort((a, b) => b - a);
    expect(sorted[0]).toBeCloseTo(big, 6);
    expect(sorted[1]).toBeCloseTo(small, 6);
    expect(regions.totalAreaPx2).toBeCloseTo(big + small, 6);
    // coordinates are level-0 px: the big block spans x 100 + 5*16 .. 100 + 25*16
    const bigPoly = regions.polygons[regions.areasPx2[0] > regions.areasPx2[1] ? 0 : 1];
    const xs = bigPoly[0].map((p) => p[0]);
    expect(Math.min(...xs)).toBe(100 + 5 * 16);
    expect(Math.max(...xs)).toBe(100 + 25 * 16);
    expect(bigPoly.length).toBe(2); // exterior + hole
    // greatest dimension: between the cut corners (5, 4.5) and (25, 19.5) cells, 25 cells of 16 px
    const bigIndex = regions.areasPx2[0] > regions.areasPx2[1] ? 0 : 1;
    expect(regions.maxDiametersPx[bigIndex]).toBeCloseTo(25 * 16, 9);
    // the mean of the cells inside (the hole's 0.1 cells are not): 0.9 and 0.95
    expect(regions.meanValues[bigIndex]).toBeCloseTo(0.9, 6);
    expect(regions.meanValues[1 - bigIndex]).toBeCloseTo(0.95, 6);
  });

  it('a size filter leaves out small regions and fills small holes, and says what it removed', () => {
    const r = raster(40, 30, 16, (x, y) => {
      if (x >= 5 && x < 25 && y >= 4 && y < 20) return x >= 12 && x < 16 && y >= 10 && y < 14 ? 0.1 : 0.9;
      if (x >= 34 && y >= 25) return 0.95;
      return 0.05;
    });
    const cell2 = 16 * 16;
    // 20 cells: above the hole (15.5 cells) and below the border blob (29.5): only the hole goes
    const holeOnly = getCancerRegions(r, 0.5, undefined, { minRegionPx2: 0, minHolePx2: 20 * cell2 });
    expect(holeOnly.polygons.length).toBe(2);
    expect(holeOnly.dropped).toEqual({ regions: 0, areaPx2: 0, holes: 1 });
    expect(Math.max(...holeOnly.areasPx2)).toBeCloseTo(319.5 * cell2, 6);
    // 30 cells for both: the blob is left out as well
    const both = getCancerRegions(r, 0.5, undefined, { minRegionPx2: 30 * cell2, minHolePx2: 30 * cell2 });
    expect(both.polygons.length).toBe(1);
    expect(both.polygons[0].length).toBe(1);
    expect(both.totalAreaPx2).toBeCloseTo(319.5 * cell2, 6);
    expect(both.dropped.regions).toBe(1);
    expect(both.dropped.holes).toBe(1);
    expect(both.dropped.areaPx2).toBeCloseTo(29.5 * cell2, 6);
    // in um^2 at a slide's um/px
    expect(getRegionSizeFilter(9216, 0.5)).toEqual({ minRegionPx2: 36864, minHolePx2: 36864 });
    expect(getRegionSizeFilter(9216, null)).toEqual({ minRegionPx2: 0, minHolePx2: 0 });
  });

  it('GeoJSON follows what QuPath imports', () => {
    const r = raster(10, 10, 8, (x, y) => (x > 2 && x < 7 && y > 2 && y < 7 ? 1 : 0));
    const gj = getRegionsGeoJson(getCancerRegions(r, 0.5), 0.5);
    expect(gj.type).toBe('FeatureCollection');
    expect(gj.features.length).toBe(1);
    const f = gj.features[0];
    expect(f.geometry.type).toBe('Polygon');
    expect(f.properties.objectType).toBe('annotation');
    expect(f.properties.classification).toEqual({ name: 'Tumor', color: [200, 0, 0] });
    for (const ring of f.geometry.coordinates) {
      expect(ring.length).toBeGreaterThanOrEqual(4);
      expect(ring[0]).toEqual(ring[ring.length - 1]);
    }
    // 16 cells - 4 * 1/8, 64 px^2 each, 0.25 um^2 per px^2
    expect(f.properties.measurements['Area mm^2']).toBeCloseTo((15.5 * 64 * 0.25) / 1e6, 12);
    // 4 x 4 cells with cut corners: (3, 3.5) to (7, 6.5) cells = 5 cells of 8 px, at 0.5 um/px
    expect(f.properties.measurements['Max diameter px']).toBe(40);
    expect(f.properties.measurements['Max diameter µm']).toBe(20);
    expect(f.properties.measurements['Mean probability']).toBe(1);
    expect(JSON.parse(JSON.stringify(gj))).toEqual(gj);
  });

  it('empty when nothing reaches the threshold; colours only cells with values', () => {
    const r = raster(5, 4, 10, (x) => (x === 0 ? Number.NaN : 0.2));
    expect(getCancerRegions(r, 0.5).polygons).toEqual([]);
    const img = getRasterRgba(r);
    expect(img.width).toBe(5);
    expect(img.data[3]).toBe(0); // NaN cell transparent
    expect(img.data[4 + 3]).toBe(255);
  });

  it('clips rings to the slide: exact area for a concave ring, empty when outside', () => {
    // an L shape: 0..4 x 0..4 minus 2..4 x 2..4 (area 12), clipped to 3 x 3 -> area 9 - 1 = 8
    const L: [number, number][] = [[0, 0], [4, 0], [4, 2], [2, 2], [2, 4], [0, 4], [0, 0]];
    const c = getClippedRing(L, 3, 3);
    expect(getRingArea(c)).toBeCloseTo(8, 12);
    expect(c[0]).toEqual(c[c.length - 1]);
    expect(getClippedRing([[5, 5], [6, 5], [6, 6], [5, 6], [5, 5]], 3, 3)).toEqual([]);
  });

  it('with bounds, regions of edge cells that overhang the slide are cut at its edge', () => {
    // 4 x 3 cells of 10 px from (0, 0); the slide is 35 x 25 px; every cell above threshold
    const r = { ...raster(4, 3, 10, () => 0.9), originX: 0, originY: 0 };
    // contour through cell centres' half-way crossing: without bounds the region reaches past 35 x 25
    const free = getCancerRegions(r, 0.5);
    const cut = getCancerRegions(r, 0.5, { width: 35, height: 25 });
    expect(cut.polygons.length).toBe(1);
    for (const ring of cut.polygons[0]) for (const [x, y] of ring) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(35);
      expect(y).toBeLessThanOrEqual(25);
    }
    expect(cut.totalAreaPx2).toBeLessThan(free.totalAreaPx2);
    expect(cut.totalAreaPx2).toBeLessThanOrEqual(35 * 25);
  });
});

describe('raster values inside a polygon', () => {
  it('counts the cells whose centres lie inside (holes left out), their mean and those at or above a threshold', () => {
    // 4 x 3 cells of 10 px from (100, 200); cell (1, 1) without a value
    const values = Float32Array.from([0.1, 0.2, 0.9, 0.8, 0.3, Number.NaN, 0.7, 0.6, 0.5, 0.4, 0.95, 0.05]);
    const raster: ProbabilityRaster = { width: 4, height: 3, originX: 100, originY: 200, cellPx: 10, values };
    const all: [number, number][] = [
      [100, 200],
      [140, 200],
      [140, 230],
      [100, 230],
    ];
    expect(getValuesInside(raster, [all], 0.5)).toEqual({ cells: 11, mean: expect.closeTo(5.5 / 11, 6), atOrAbove: 6 });
    // the right half (cell centres x = 125, 135) minus a hole around the centre of cell (2, 1), 0.7
    const right: [number, number][] = [
      [120, 200],
      [140, 200],
      [140, 230],
      [120, 230],
    ];
    const hole: [number, number][] = [
      [122, 212],
      [128, 212],
      [128, 218],
      [122, 218],
    ];
    const r = getValuesInside(raster, [right, hole], 0.5);
    expect(r.cells).toBe(5);
    expect(r.atOrAbove).toBe(4);
    expect(r.mean).toBeCloseTo((0.9 + 0.8 + 0.6 + 0.95 + 0.05) / 5, 6);
  });
});
