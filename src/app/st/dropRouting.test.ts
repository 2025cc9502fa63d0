import { describe, expect, it } from 'vitest';
import { getRoutedDrop } from './dropRouting';

const file = (name: string, text: string) => new File([text], name);

describe('dropped files are routed by name, then content', () => {
  it("annotations: a .geojson, or a .json holding GeoJSON features; Space Ranger's scalefactors stay ST", async () => {
    const r = await getRoutedDrop([
      file('tumour.geojson', '[]'),
      file('qupath-export.json', '{ "type": "FeatureCollection", "features": [] }'),
      file('spatial/scalefactors_json.json', '{"spot_diameter_fullres": 89.4}'),
      file('B1.tsv.gz', 'x'),
      file('CMU-1.svs', 'x'),
    ]);
    expect(r.annotations.map((f) => f.name)).toEqual(['tumour.geojson', 'qupath-export.json']);
    expect(r.st.map((f) => f.name)).toEqual(['spatial/scalefactors_json.json', 'B1.tsv.gz']);
    expect(r.slide.map((f) => f.name)).toEqual(['CMU-1.svs']);
  });
});
