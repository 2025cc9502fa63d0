import { describe, expect, it } from 'vitest';
import { applyAffine, getAffineFromLandmarks } from '../../core/st/registration';
import { getDroppedKindByContent, getDroppedKindByName, getRoutedDrop } from './dropRouting';
import { getLandmarkResiduals } from './RegistrationSection';
import { getDisplaySpots, getRegistrationAffine, getRegistrationFile, getRegistrationFromJson, getRegistrationKey, getSavedRegistration } from './registration';
import { EMPTY_REGISTRATION } from './stStore';

const spots = {
  spots: {
    ids: ['a', 'b', 'c', 'd'],
    x: Float64Array.from([100, 300, 100, 300]),
    y: Float64Array.from([100, 100, 300, 300]),
    inTissue: new Uint8Array(4).fill(1),
    diameterPx: 50,
    annotations: {},
  },
};

describe('registration', () => {
  it('typed parameters act about the spots centre; scale changes the drawn diameter', () => {
    const t = getRegistrationAffine(spots, { ...EMPTY_REGISTRATION, params: { scale: 2, rotationDeg: 90, flipX: false, flipY: false, offsetX: 10, offsetY: -5 } });
    // the centre (200, 200) only moves by the offset
    const c = applyAffine(t, 200, 200);
    expect(c.x).toBeCloseTo(210, 9);
    expect(c.y).toBeCloseTo(195, 9);
    const d = getDisplaySpots(spots, t);
    expect(d.diameterPx).toBeCloseTo(100, 9);
    expect(d.positions.length).toBe(8);
    const flipped = getRegistrationAffine(spots, { ...EMPTY_REGISTRATION, params: { ...EMPTY_REGISTRATION.params, flipX: true } });
    expect(applyAffine(flipped, 100, 100).x).toBeCloseTo(300, 9);
  });

  it('landmarks: a least-squares fit is used instead of the typed values, with live residuals', () => {
    const st = [
      { x: 0, y: 0 },
      { x: 100, y: 0 },
      { x: 0, y: 100 },
      { x: 100, y: 100 },
    ];
    const slide = st.map((p) => ({ x: 2 * p.x + 50, y: 2 * p.y + 20 }));
    slide[3] = { x: slide[3].x + 4, y: slide[3].y };
    const fit = getAffineFromLandmarks(st, slide);
    const reg = { ...EMPTY_REGISTRATION, landmarks: st.map((p, i) => ({ st: p, slide: slide[i] })), landmarkAffine: fit.affine };
    expect(getRegistrationAffine(spots, reg)).toBe(fit.affine);
    const r = getLandmarkResiduals(reg.landmarks, fit.affine);
    expect(r.rms).toBeCloseTo(fit.rms, 9);
    // one corner off by 4 px: an affine spreads it as 1 px at each corner of the square
    for (const v of r.residuals) expect(v).toBeCloseTo(1, 9);
  });

  it('round-trips through the exported JSON and localStorage; bad JSON says what is wrong', () => {
    const reg = { ...EMPTY_REGISTRATION, params: { scale: 1.5, rotationDeg: 3, flipX: true, flipY: false, offsetX: 7, offsetY: 8 }, landmarks: [{ st: { x: 1, y: 2 }, slide: { x: 3, y: 4 } }] };
    const file = getRegistrationFile(reg, getRegistrationAffine(spots, reg), 'C2.jpg', ['x/C2.tsv.gz', 'C2_selection.tsv']);
    expect(file.stFiles).toEqual(['C2.tsv.gz', 'C2_selection.tsv']);
    const back = getRegistrationFromJson(JSON.parse(JSON.stringify(file)));
    expect(back.params).toEqual(reg.params);
    expect(back.landmarks).toEqual(reg.landmarks);
    expect(() => getRegistrationFromJson({ foo: 1 })).toThrow(/not a FuseScope ST registration/);
    const key = getRegistrationKey('C2.jpg', ['b/C2_selection.tsv', 'C2.tsv.gz']);
    expect(key).toBe('fusescope.st-registration:C2.jpg|C2.tsv.gz,C2_selection.tsv');
    const store = new Map([[key, JSON.stringify(file)]]);
    expect(getSavedRegistration({ getItem: (k) => store.get(k) ?? null }, key).params.scale).toBe(1.5);
    expect(getSavedRegistration({ getItem: () => '{broken' }, key)).toBe(EMPTY_REGISTRATION);
  });
});

describe('drop routing', () => {
  it('slides, ST files and Space Ranger images are told apart by name', () => {
    expect(getDroppedKindByName('C2.jpg')).toBe('slide');
    expect(getDroppedKindByName('CMU-1.svs')).toBe('slide');
    expect(getDroppedKindByName('slide_files/12/3_4.jpeg')).toBe('slide');
    expect(getDroppedKindByName('C2.tsv.gz')).toBe('st');
    expect(getDroppedKindByName('C2_selection.tsv')).toBe('st');
    expect(getDroppedKindByName('outs/filtered_feature_bc_matrix.h5')).toBe('st');
    expect(getDroppedKindByName('sample.h5ad')).toBe('st');
    expect(getDroppedKindByName('filtered_feature_bc_matrix/matrix.mtx.gz')).toBe('st');
    expect(getDroppedKindByName('spatial/tissue_hires_image.png')).toBe('st');
    expect(getDroppedKindByName('spatial/scalefactors_json.json')).toBe('st');
    expect(getDroppedKindByName('.DS_Store')).toBe('junk');
    // Space Ranger's molecule table is not a count matrix
    expect(getDroppedKindByName('outs/molecule_info.h5')).toBe('junk');
    expect(getDroppedKindByName('outs/binned_outputs/square_008um/spatial/tissue_positions.parquet')).toBe('st');
    expect(getDroppedKindByName('Tumor annotations.geojson')).toBe('annotations');
    expect(getDroppedKindByName('README')).toBe('unknown');
  });

  it('a whole Visium HD outs/ folder: the cell segmentation outlines are left out; dropped alone they are annotations', async () => {
    const f = (name: string) => new File(['{}'], name);
    const outs = await getRoutedDrop([
      f('outs/binned_outputs/square_008um/filtered_feature_bc_matrix.h5'),
      f('outs/binned_outputs/square_008um/spatial/tissue_positions.parquet'),
      f('outs/segmented_outputs/graphclust_annotated_cell_segmentations.geojson'),
      f('outs/segmented_outputs/nucleus_segmentations.geojson'),
    ]);
    expect(outs.st.map((x) => x.name)).toEqual(['outs/binned_outputs/square_008um/filtered_feature_bc_matrix.h5', 'outs/binned_outputs/square_008um/spatial/tissue_positions.parquet']);
    expect(outs.annotations).toEqual([]);
    expect(outs.ignored).toEqual(['outs/segmented_outputs/graphclust_annotated_cell_segmentations.geojson', 'outs/segmented_outputs/nucleus_segmentations.geojson']);
    const alone = await getRoutedDrop([f('cell_segmentations.geojson')]);
    expect(alone.annotations.map((x) => x.name)).toEqual(['cell_segmentations.geojson']);
  });

  it('by content when the name says nothing', () => {
    expect(getDroppedKindByContent(Uint8Array.from([0x49, 0x49, 0x2a, 0]))).toBe('slide');
    expect(getDroppedKindByContent(Uint8Array.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe('st');
    expect(getDroppedKindByContent(Uint8Array.from([0x1f, 0x8b, 8, 0]))).toBe('st');
    expect(getDroppedKindByContent(Uint8Array.from([1, 2, 3, 4]))).toBe('unknown');
  });
});
