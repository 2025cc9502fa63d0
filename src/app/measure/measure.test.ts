import { describe, expect, it } from 'vitest';
import { getAreaLabel, getAreaPx, getLengthLabel, getMeasurementLabel, getMeasurementsGeoJson, getPathLengthPx, getSavedMeasurementsText, parseSavedMeasurements } from './measure';

const square = [
  { x: 0, y: 0 },
  { x: 1000, y: 0 },
  { x: 1000, y: 2000 },
  { x: 0, y: 2000 },
];

describe('measurements', () => {
  it('lengths: µm below 1 mm, mm above, px without um/px', () => {
    expect(getLengthLabel(10, 0.5)).toBe('5.0 µm');
    expect(getLengthLabel(1000, 0.499)).toBe('499 µm');
    expect(getLengthLabel(2506, 0.499)).toBe('1.25 mm');
    expect(getLengthLabel(40_000, 0.5)).toBe('20.0 mm');
    expect(getLengthLabel(1234.4, null)).toBe('1,234 px');
    expect(getPathLengthPx([{ x: 0, y: 0 }, { x: 300, y: 400 }])).toBe(500);
  });

  it('areas (shoelace, either winding) and perimeters; µm² below 0.01 mm², mm² above', () => {
    expect(getAreaPx(square)).toBe(2_000_000);
    expect(getAreaPx([...square].reverse())).toBe(2_000_000);
    expect(getPathLengthPx(square, true)).toBe(6000);
    expect(getAreaLabel(2_000_000, 0.5)).toBe('0.500 mm²');
    expect(getAreaLabel(2_000_000, 1)).toBe('2.00 mm²');
    expect(getAreaLabel(100 * 100, 0.5)).toBe('2,500 µm²');
    expect(getAreaLabel(12_345, null)).toBe('12,345 px²');
    expect(getMeasurementLabel({ kind: 'area', points: square }, 0.25)).toBe('0.125 mm²');
  });

  it('exports QuPath annotations in level-0 px: lines with their length, polygons (closed ring) with area and perimeter', () => {
    const json = JSON.parse(
      getMeasurementsGeoJson(
        [
          { id: 7, kind: 'line', points: [{ x: 10, y: 20 }, { x: 310, y: 420 }] },
          { id: 8, kind: 'area', points: square },
        ],
        0.25,
      ),
    );
    expect(json.type).toBe('FeatureCollection');
    expect(json.features[0].geometry).toEqual({ type: 'LineString', coordinates: [[10, 20], [310, 420]] });
    expect(json.features[0].properties).toMatchObject({ objectType: 'annotation', name: 'Ruler 1', measurements: { 'Length px': 500, 'Length µm': 125 } });
    expect(json.features[1].geometry).toEqual({ type: 'Polygon', coordinates: [[[0, 0], [1000, 0], [1000, 2000], [0, 2000], [0, 0]]] });
    expect(json.features[1].properties).toMatchObject({ name: 'Area 1', measurements: { 'Area px^2': 2_000_000, 'Area µm^2': 125_000, 'Perimeter µm': 1500 } });
    expect(JSON.parse(getMeasurementsGeoJson([{ id: 1, kind: 'line', points: [{ x: 0, y: 0 }, { x: 3, y: 4 }] }], null)).features[0].properties.measurements).toEqual({ 'Length px': 5 });
  });
});

describe('measurements kept per slide', () => {
  it('read back what was saved, and nothing from a value that is not theirs', () => {
    const items = [
      { id: 3, kind: 'line' as const, points: [{ x: 1, y: 2 }, { x: 3, y: 4 }] },
      { id: 4, kind: 'area' as const, points: square },
    ];
    expect(parseSavedMeasurements(getSavedMeasurementsText(items))).toEqual(items.map(({ kind, points }) => ({ kind, points })));
    expect(parseSavedMeasurements(null)).toEqual([]);
    expect(parseSavedMeasurements('not json')).toEqual([]);
    expect(parseSavedMeasurements('{"fusescope":"st-registration","items":[]}')).toEqual([]);
    // a broken item is dropped, the others kept
    expect(parseSavedMeasurements('{"fusescope":"measurements","items":[{"kind":"area","points":[{"x":0,"y":0}]},{"kind":"line","points":[{"x":0,"y":0},{"x":1,"y":"a"}]},{"kind":"line","points":[{"x":0,"y":0},{"x":5,"y":0}]}]}')).toEqual([
      { kind: 'line', points: [{ x: 0, y: 0 }, { x: 5, y: 0 }] },
    ]);
  });
});
