import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getCategoryCounts } from '../annotations.ts';
import { getStDatasetInFrame } from '../assemble.ts';
import { loadNodeStFiles } from '../files/node.ts';
import { loadStDataset } from '../load.ts';
import { getMppFromSpotPitch } from '../pitch.ts';
import { checkStFitsSlide } from '../slide-fit.ts';
import { getStSummary } from '../summary.ts';

const VISIUM = resolve(__dirname, '../../../../../shared/data/visium');

function readPositions(name: string) {
  return readFileSync(`${VISIUM}/${name}/spatial/tissue_positions_list.csv`, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','))
    .map((f) => ({ id: f[0], inTissue: Number(f[1]), row: Number(f[4]), col: Number(f[5]) }));
}

describe('Visium spatial folders (real Space Ranger 1 positions + scalefactors)', () => {
  for (const name of ['breast_cancer_block_a1', 'ovarian_cancer']) {
    it(`${name}: in-tissue count and positions in the hires frame = pxl * tissue_hires_scalef`, async () => {
      const sf = JSON.parse(readFileSync(`${VISIUM}/${name}/spatial/scalefactors_json.json`, 'utf8'));
      const pos = readPositions(name);
      const inTissue = pos.filter((p) => p.inTissue === 1);
      const ds = await loadStDataset(await loadNodeStFiles([`${VISIUM}/${name}`]), { targetFrame: 'hires' });
      const sum = getStSummary(ds);
      expect(sum.platform).toBe('visium');
      expect(sum.format).toBe('visium-spots');
      expect(sum.genes).toBe(0);
      expect(sum.spots).toBe(inTissue.length);
      expect(sum.spotsInTissue).toBe(inTissue.length);
      expect(sum.frame).toBe('hires');
      expect(sum.spotDiameterPx).toBeCloseTo(sf.spot_diameter_fullres * sf.tissue_hires_scalef, 9);
      const byId = new Map(pos.map((p) => [p.id, p]));
      ds.spots.ids.forEach((id, i) => {
        const p = byId.get(id)!;
        expect(p.inTissue).toBe(1);
        expect(ds.spots.x[i]).toBeCloseTo(p.col * sf.tissue_hires_scalef, 9);
        expect(ds.spots.y[i]).toBeCloseTo(p.row * sf.tissue_hires_scalef, 9);
      });
      // lowres and back to fullres without reloading
      const low = getStDatasetInFrame(ds, 'lowres');
      expect(low.spots.x[0]).toBeCloseTo(byId.get(ds.spots.ids[0])!.col * sf.tissue_lowres_scalef, 9);
      const full = getStDatasetInFrame(ds, 'fullres');
      expect(full.spots.x[0]).toBeCloseTo(byId.get(ds.spots.ids[0])!.col, 6);
      expect(full.spots.diameterPx).toBeCloseTo(sf.spot_diameter_fullres, 6);
      // spot grid pitch = 100 um gives um/px; Space Ranger's spot_diameter_fullres is 65 um at that scale
      // (the 55 um spot plus margin), which checks the pitch calibration on real positions
      const mpp = getMppFromSpotPitch(full.spots, 'visium');
      expect(Math.abs(mpp.pitchPx - mpp.nearestPx) / mpp.nearestPx).toBeLessThan(0.01);
      expect(sf.spot_diameter_fullres * mpp.mpp).toBeGreaterThan(64);
      expect(sf.spot_diameter_fullres * mpp.mpp).toBeLessThan(66);
    });
  }

  it('keeps off-tissue spots flagged 0 when asked', async () => {
    const ds = await loadStDataset(await loadNodeStFiles([`${VISIUM}/breast_cancer_block_a1/spatial`]), { includeOffTissue: true });
    const sum = getStSummary(ds);
    expect(sum.spots).toBe(4992);
    expect(sum.spotsInTissue).toBe(3798);
  });

  it('reports the hires and lowres images with their sizes and scales', async () => {
    const ds = await loadStDataset(await loadNodeStFiles([`${VISIUM}/ovarian_cancer/spatial`]));
    expect(ds.images).toEqual([
      { name: 'hires', scale: 0.08250825, width: 2000, height: 2000, file: 'spatial/tissue_hires_image.png', embedded: '' },
      { name: 'lowres', scale: 0.024752475, width: 600, height: 600, file: 'spatial/tissue_lowres_image.png', embedded: '' },
    ]);
    // the spots land inside the hires image when loaded in its frame
    const hires = await loadStDataset(await loadNodeStFiles([`${VISIUM}/ovarian_cancer/spatial`]), { targetFrame: 'hires' });
    expect(checkStFitsSlide(hires, { width: 2000, height: 2000 }).fraction).toBe(1);
    // ... and all outside it in the fullres frame, with a hint naming the hires frame
    expect(() => checkStFitsSlide(ds, { width: 600, height: 600 })).toThrow(/places all 3493 spots outside the slide.*frame "lowres"/);
  });

  it('joins region_annotations.tsv by barcode as annotation columns', async () => {
    const ds = await loadStDataset(await loadNodeStFiles([`${VISIUM}/breast_cancer_block_a1`]));
    expect(getCategoryCounts(ds.spots.annotations.annot_type)).toEqual({ Healthy: 485, Invasive: 1663, 'Surrounding tumor': 823, Tumor: 827 });
    expect(ds.files.map((f) => f.name)).toContain('breast_cancer_block_a1/region_annotations.tsv');
  });
});
