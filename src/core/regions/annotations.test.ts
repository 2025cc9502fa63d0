import { describe, expect, it } from 'vitest';
import { getAnnotations, getClassesAt, getRasterAgreement, OUTSIDE_CLASS } from './annotations.ts';
import { isInside } from './contours.ts';

const square = (x0: number, y0: number, s: number): [number, number][] => [
  [x0, y0],
  [x0 + s, y0],
  [x0 + s, y0 + s],
  [x0, y0 + s],
  [x0, y0],
];

describe('pathologist annotations (QuPath GeoJSON)', () => {
  it('reads a FeatureCollection, a plain array and a single Feature; Polygon and MultiPolygon; QuPath classes', () => {
    const tumour = { type: 'Feature', geometry: { type: 'Polygon', coordinates: [square(0, 0, 100), square(40, 40, 20)] }, properties: { objectType: 'annotation', classification: { name: 'Tumor', color: [200, 0, 0] } } };
    const stroma = { type: 'Feature', geometry: { type: 'MultiPolygon', coordinates: [[square(200, 0, 50)], [square(300, 0, 50)]] }, properties: { classification: { name: 'Stroma' } } };
    const point = { type: 'Feature', geometry: { type: 'Point', coordinates: [5, 5] }, properties: {} };
    const fc = getAnnotations(JSON.stringify({ type: 'FeatureCollection', features: [tumour, stroma, point] }), 'a.geojson');
    expect(fc.shapes.map((s) => [s.className, s.areaPx2])).toEqual([
      ['Tumor', 100 * 100 - 20 * 20],
      ['Stroma', 2500],
      ['Stroma', 2500],
    ]);
    expect(fc.skipped).toBe(1);
    expect(fc.classes).toEqual(['Stroma', 'Tumor']);
    expect(getAnnotations(JSON.stringify([tumour]), 'b.json').shapes).toHaveLength(1);
    expect(getAnnotations(JSON.stringify(tumour), 'c.json').shapes).toHaveLength(1);
    const unnamed = getAnnotations(JSON.stringify([{ type: 'Feature', geometry: tumour.geometry, properties: { name: 'region 1' } }]), 'd.json');
    expect(unnamed.classes).toEqual(['region 1']);
  });

  it('points in polygons with holes; the smallest containing annotation names a point', () => {
    const rings = [square(0, 0, 100), square(40, 40, 20)];
    expect(isInside(10, 10, rings)).toBe(true);
    expect(isInside(50, 50, rings)).toBe(false); // in the hole
    expect(isInside(150, 10, rings)).toBe(false);
    const a = getAnnotations(
      JSON.stringify([
        { type: 'Feature', geometry: { type: 'Polygon', coordinates: [square(0, 0, 1000)] }, properties: { classification: { name: 'Tissue' } } },
        { type: 'Feature', geometry: { type: 'Polygon', coordinates: [square(100, 100, 100)] }, properties: { classification: { name: 'Tumor' } } },
      ]),
      'nested.geojson',
    );
    expect(getClassesAt(a, [150, 500, 2000], [150, 500, 10])).toEqual(['Tumor', 'Tissue', OUTSIDE_CLASS]);
  });

  it('a raster against the annotated area: window AUC and overlap at the threshold', () => {
    // 10 x 10 windows of 10 px; the annotation covers columns 0-4; the heatmap is high on columns 0-5
    const values = new Float32Array(100).map((_, i) => (i % 10 < 6 ? 0.9 - (i % 10) * 0.01 : 0.1));
    const raster = { width: 10, height: 10, originX: 0, originY: 0, cellPx: 10, values };
    const a = getAnnotations(JSON.stringify([{ type: 'Feature', geometry: { type: 'Polygon', coordinates: [[[0, 0], [50, 0], [50, 100], [0, 100], [0, 0]]] }, properties: { classification: { name: 'Tumor' } } }]), 'x.geojson');
    const r = getRasterAgreement(raster, Int32Array.from({ length: 100 }, (_, i) => i), a, new Set(['Tumor']), 0.5, 0.5);
    expect(r.windowsInside).toBe(50);
    expect(r.auc).toBe(1);
    // called: 60 windows, 50 of them inside
    expect(r.sensitivity).toBe(1);
    expect(r.precision).toBeCloseTo(50 / 60, 12);
    expect(r.dice).toBeCloseTo(100 / 110, 12);
    expect(r.annotatedTissueMm2).toBeCloseTo((50 * 100 * 0.25) / 1e6, 15);
  });

  it.each([
    ['not json', /x\.geojson: is not JSON/],
    ['{"type":"Topology"}', /is JSON but not GeoJSON features/],
    ['[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}}]', /has no polygon annotations \(1 features, none a Polygon or MultiPolygon\)/],
    ['[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[["a",1]]]}}]', /a polygon ring is not a list of \[x, y\] numbers/],
  ])('bad input is named: %s', (text, message) => {
    expect(() => getAnnotations(text, 'x.geojson')).toThrow(message);
  });
});
