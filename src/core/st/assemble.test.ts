/** A parse made before the slide's um/px was known, fixed up afterwards, equals a parse made with it. */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getStDatasetWithSlideMpp } from './assemble.ts';
import { loadNodeStFiles } from './files/node.ts';
import { loadStDataset } from './load.ts';

const FX = resolve(__dirname, '../../../tests/fixtures/st');
const HER2ST = resolve(__dirname, '../../../../shared/data/her2st');

describe('getStDatasetWithSlideMpp', () => {
  it('Visium without scalefactors: the grid estimate becomes 55 um at the slide um/px, as a parse with it', async () => {
    const files = [`${FX}/visium_sr3/filtered_feature_bc_matrix.h5`, `${FX}/visium_sr3/spatial/tissue_positions.csv`];
    const early = await loadStDataset(await loadNodeStFiles(files));
    expect(early.diameterSource).toBe('pitch');
    expect(early.warnings.some((w) => w.startsWith('Spot diameter estimated'))).toBe(true);
    const withMpp = await loadStDataset(await loadNodeStFiles(files), { slideMpp: 0.5 });
    const fixed = getStDatasetWithSlideMpp(early, 0.5);
    expect(fixed.spots.diameterPx).toBe(withMpp.spots.diameterPx);
    expect(fixed.spots.diameterPx).toBe(110);
    expect(fixed.diameterSource).toBe('mpp');
    expect(fixed.warnings).toEqual(withMpp.warnings);
    expect(fixed.spots.x).toBe(early.spots.x);
  });

  it('legacy ST (HER2ST B4): unchanged without um/px; 100 um spots at 0.7 um/px with it', async () => {
    const files = [`${HER2ST}/counts/B4.tsv.gz`, `${HER2ST}/spots/B4_selection.tsv`];
    const early = await loadStDataset(await loadNodeStFiles(files));
    expect(getStDatasetWithSlideMpp(early, null)).toBe(early);
    const withMpp = await loadStDataset(await loadNodeStFiles(files), { slideMpp: 0.7 });
    const fixed = getStDatasetWithSlideMpp(early, 0.7);
    expect(fixed.spots.diameterPx).toBeCloseTo(withMpp.spots.diameterPx, 9);
    expect(fixed.warnings).toEqual(withMpp.warnings);
  });

  it('a diameter the files give is kept', async () => {
    const files = [`${FX}/visium_sr3/filtered_feature_bc_matrix.h5`, `${FX}/visium_sr3/spatial/tissue_positions.csv`, `${FX}/visium_sr3/spatial/scalefactors_json.json`];
    const ds = await loadStDataset(await loadNodeStFiles(files));
    expect(ds.diameterSource).toBe('file');
    expect(getStDatasetWithSlideMpp(ds, 0.5)).toBe(ds);
  });
});
