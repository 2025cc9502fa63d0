import { describe, expect, it } from 'vitest';
import { getLengthLabel, getLengthPx, getMeasurementsGeoJson } from './measure';

describe('ruler lengths', () => {
  it('in µm below 1 mm, in mm above, in px without um/px', () => {
    expect(getLengthLabel(10, 0.5)).toBe('5.0 µm');
    expect(getLengthLabel(1000, 0.499)).toBe('499 µm');
    expect(getLengthLabel(2506, 0.499)).toBe('1.25 mm');
    expect(getLengthLabel(40_000, 0.5)).toBe('20.0 mm');
    expect(getLengthLabel(1234.4, null)).toBe('1,234 px');
    expect(getLengthPx({ a: { x: 0, y: 0 }, b: { x: 300, y: 400 } })).toBe(500);
  });

  it('exports QuPath line annotations in level-0 px with their length', () => {
    const json = JSON.parse(getMeasurementsGeoJson([{ id: 7, a: { x: 10, y: 20 }, b: { x: 310, y: 420 } }], 0.25));
    expect(json.type).toBe('FeatureCollection');
    expect(json.features[0].geometry).toEqual({ type: 'LineString', coordinates: [[10, 20], [310, 420]] });
    expect(json.features[0].properties).toMatchObject({ objectType: 'annotation', name: 'Ruler 1', measurements: { 'Length px': 500, 'Length µm': 125 } });
    expect(JSON.parse(getMeasurementsGeoJson([{ id: 1, a: { x: 0, y: 0 }, b: { x: 3, y: 4 } }], null)).features[0].properties.measurements).toEqual({ 'Length px': 5 });
  });
});
