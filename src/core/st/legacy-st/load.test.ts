import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { getCategoryCounts } from '../annotations.ts';
import { loadNodeStFiles } from '../files/node.ts';
import { getGeneIndex, getGeneValues } from '../genes.ts';
import { loadStDataset } from '../load.ts';
import { getMppFromSpotPitch } from '../pitch.ts';
import { getStSummary } from '../summary.ts';
import { StError } from '../types.ts';

const HER2ST = resolve(__dirname, '../../../../../shared/data/her2st');

/** An independent reading of the counts TSV: header genes, row ids, rows of strings. */
function readCountsTsv(section: string) {
  const lines = gunzipSync(readFileSync(`${HER2ST}/counts/${section}.tsv.gz`)).toString('utf8').trimEnd().split('\n');
  const genes = lines[0].split('\t').slice(1);
  const rows = lines.slice(1).map((l) => l.split('\t'));
  return { genes, rows };
}

function readSelection(section: string) {
  const lines = readFileSync(`${HER2ST}/spots/${section}_selection.tsv`, 'utf8').trim().split('\n');
  const h = lines[0].split('\t');
  const m = new Map<string, { px: number; py: number }>();
  for (const l of lines.slice(1)) {
    const f = l.split('\t');
    m.set(`${Math.round(Number(f[h.indexOf('x')]))}x${Math.round(Number(f[h.indexOf('y')]))}`, { px: Number(f[h.indexOf('pixel_x')]), py: Number(f[h.indexOf('pixel_y')]) });
  }
  return m;
}

describe('legacy ST (HER2ST) sections with an H&E image', () => {
  for (const section of ['B4', 'C2', 'C3', 'C4', 'C5', 'C6']) {
    it(`${section}: spots at the selection file's pixel_x/pixel_y, counts equal the TSV`, async () => {
      const files = await loadNodeStFiles([`${HER2ST}/counts/${section}.tsv.gz`, `${HER2ST}/spots/${section}_selection.tsv`, `${HER2ST}/images/${section}.jpg`]);
      const ds = await loadStDataset(files);
      const sel = readSelection(section);
      const tsv = readCountsTsv(section);
      expect(ds.platform).toBe('legacy-st');
      expect(ds.genes.symbols).toEqual(tsv.genes);
      // every loaded spot is a counts row with a selection entry, and all such rows are loaded
      const expectedIds = tsv.rows.map((r) => r[0]).filter((id) => sel.has(id));
      expect(ds.spots.ids).toEqual(expectedIds);
      ds.spots.ids.forEach((id, i) => {
        expect(ds.spots.x[i]).toBe(sel.get(id)!.px);
        expect(ds.spots.y[i]).toBe(sel.get(id)!.py);
      });
      // sampled entries (deterministic), including non-zeros
      const rowOf = new Map(tsv.rows.map((r) => [r[0], r]));
      let checked = 0;
      let nonzero = 0;
      for (let k = 0; k < 400; k++) {
        const i = (k * 7919) % ds.spots.ids.length;
        const g = (k * 104729) % tsv.genes.length;
        const expected = Number(rowOf.get(ds.spots.ids[i])![g + 1]);
        const col = getGeneValues(ds, tsv.genes[g]);
        // duplicated symbols resolve to the first column; compare by index instead for those
        const v = getGeneIndex(ds).find(tsv.genes[g]) === g ? col![i] : expected;
        expect(v).toBe(expected);
        checked++;
        if (expected) nonzero++;
      }
      // ERBB2 of every spot
      const erbb2 = getGeneValues(ds, 'erbb2')!;
      const ge = tsv.genes.indexOf('ERBB2');
      expect(Array.from(erbb2)).toEqual(ds.spots.ids.map((id) => Number(rowOf.get(id)![ge + 1])));
      // totals per spot
      for (let i = 0; i < ds.spots.ids.length; i += 17) {
        const row = rowOf.get(ds.spots.ids[i])!;
        let s = 0;
        for (let g = 1; g < row.length; g++) s += Number(row[g]);
        let t = 0;
        for (let p = ds.matrix.indptr[i]; p < ds.matrix.indptr[i + 1]; p++) t += ds.matrix.data[p];
        expect(t).toBe(s);
      }
      expect(checked).toBe(400);
      expect(nonzero).toBeGreaterThan(0);
      const sum = getStSummary(ds);
      expect(sum.spotsInTissue).toBe(expectedIds.length);
      expect(sum.images[0]).toMatchObject({ name: 'fullres', scale: 1, file: `${section}.jpg` });
      expect(sum.images[0].width).toBeGreaterThan(9000);
      // spot pitch -> about 0.69 um/px (the README's value for these images)
      const mpp = getMppFromSpotPitch(ds.spots, 'legacy-st').mpp;
      expect(mpp).toBeGreaterThan(0.6);
      expect(mpp).toBeLessThan(0.78);
      expect(ds.diameterSource).toBe('pitch');
    });
  }

  it('uses the slide mpp for the spot diameter when given (100 um)', async () => {
    const ds = await loadStDataset(await loadNodeStFiles([`${HER2ST}/counts/C2.tsv.gz`, `${HER2ST}/spots/C2_selection.tsv`]), { slideMpp: 0.69 });
    expect(ds.spots.diameterPx).toBeCloseTo(100 / 0.69, 6);
    expect(ds.diameterSource).toBe('mpp');
  });

  it('refuses a hires target frame: legacy ST has no scalefactors', async () => {
    const p = loadStDataset(await loadNodeStFiles([`${HER2ST}/counts/C2.tsv.gz`, `${HER2ST}/spots/C2_selection.tsv`]), { targetFrame: 'hires' });
    await expect(p).rejects.toThrow(StError);
    await expect(p).rejects.toThrow(/C2_selection\.tsv: gives positions in the full-resolution image's pixels only/);
  });

  it('asks which section when several are dropped, and loads the one named', async () => {
    const files = await loadNodeStFiles([`${HER2ST}/counts/C2.tsv.gz`, `${HER2ST}/spots/C2_selection.tsv`, `${HER2ST}/counts/C3.tsv.gz`, `${HER2ST}/spots/C3_selection.tsv`]);
    await expect(loadStDataset(files)).rejects.toThrow(/2 sections \(C2, C3\)/);
    const ds = await loadStDataset(files, { section: 'C3' });
    expect(ds.files[0].name).toBe('C3.tsv.gz');
  });

  it('a counts table without its selection file is "no spatial coordinates"', async () => {
    await expect(loadStDataset(await loadNodeStFiles([`${HER2ST}/counts/B4.tsv.gz`]))).rejects.toThrow(/B4\.tsv\.gz: is a legacy ST count matrix but no spot file/);
  });
});

describe('legacy ST pathologist labels', () => {
  const expected: Record<string, Record<string, number>> = {
    B1: { 'adipose tissue': 70, 'breast glands': 41, 'connective tissue': 95, 'invasive cancer': 63, undetermined: 26 },
    C1: { 'adipose tissue': 3, 'connective tissue': 37, 'invasive cancer': 127, undetermined: 9 },
    D1: { 'connective tissue': 109, 'immune infiltrate': 7, 'invasive cancer': 139, undetermined: 51 },
    E1: { 'connective tissue': 17, 'immune infiltrate': 177, 'invasive cancer': 340, undetermined: 53 },
    F1: { 'connective tissue': 56, 'immune infiltrate': 26, 'invasive cancer': 577, undetermined: 32 },
  };
  for (const [section, counts] of Object.entries(expected)) {
    it(`${section}: label column joined by rounding x, y to XxY`, async () => {
      const ds = await loadStDataset(
        await loadNodeStFiles([`${HER2ST}/counts/${section}.tsv.gz`, `${HER2ST}/spots/${section}_selection.tsv`, `${HER2ST}/labels/${section}_labeled_coordinates.tsv`]),
      );
      const label = ds.spots.annotations.label;
      expect(label.kind).toBe('categorical');
      expect(getCategoryCounts(label)).toEqual(counts);
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      expect(ds.spots.ids.length).toBe(total);
      // never the label file's pixel coordinates: positions stay those of the selection file
      const sel = readSelection(section);
      expect(ds.spots.x[0]).toBe(sel.get(ds.spots.ids[0])!.px);
      if (section === 'F1') expect(ds.warnings.join(' ')).toMatch(/1 rows without array coordinates \(NA\) were skipped/);
    });
  }
});
