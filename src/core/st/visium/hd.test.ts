import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBytesStFile } from '../files/bytes.ts';
import { loadHdf5 } from '../hdf5/read.ts';
import { loadNodeStFiles } from '../files/node.ts';
import { loadStDataset } from '../load.ts';
import { getMppFromSpotPitch } from '../pitch.ts';
import { getStSummary } from '../summary.ts';
import type { StDataset } from '../types.ts';
import { readTenxH5 } from './h5.ts';
import { getHdBinGroups, getSummedCsrRows } from './hd-bins.ts';

/** made by tests/fixtures/st/visium_hd/make_visium_hd.sh (Space Ranger 3 binned_outputs layout) */
const HD = resolve(__dirname, '../../../../tests/fixtures/st/visium_hd');
const BINNED = `${HD}/binned_outputs`;
const expected = JSON.parse(readFileSync(`${HD}/expected_096um.json`, 'utf8')) as {
  mpp: number;
  in_tissue_8um: number;
  bins: { id: string; counts: number[]; x: number; y: number; bins_in_tissue: number }[];
};

function getDenseRow(ds: StDataset, r: number): number[] {
  const out = new Array(ds.matrix.nCols).fill(0);
  for (let p = Number(ds.matrix.indptr[r]); p < Number(ds.matrix.indptr[r + 1]); p++) out[ds.matrix.indices[p]] = ds.matrix.data[p];
  return out;
}

/** `nativeUm` 8: the members-under-tissue count is of 8 um bins, as in the reference */
function expectEqualsReference(ds: StDataset, nativeUm = 8): void {
  expect(ds.platform).toBe('visium-hd');
  expect(ds.spots.ids).toEqual(expected.bins.map((b) => b.id));
  const binsIn = ds.spots.annotations.native_bins_in_tissue;
  expected.bins.forEach((b, i) => {
    expect(getDenseRow(ds, i)).toEqual(b.counts);
    expect(ds.spots.x[i]).toBeCloseTo(b.x, 6);
    expect(ds.spots.y[i]).toBeCloseTo(b.y, 6);
    const n = binsIn.kind === 'numeric' ? binsIn.values[i] : Number.NaN;
    if (nativeUm === 8) expect(n).toBe(b.bins_in_tissue);
    else expect(n).toBeGreaterThanOrEqual(Math.ceil(b.bins_in_tissue / 4));
  });
  // a 96 um square, in full-resolution px; the grid pitch gives the image's um/px back
  expect(ds.spots.diameterPx).toBeCloseTo(96 / expected.mpp, 6);
  expect(ds.pitchUm).toBe(96);
  expect(getMppFromSpotPitch(ds.spots, ds.pitchUm).mpp).toBeCloseTo(expected.mpp, 6);
}

describe('Visium HD (binned_outputs, tissue_positions.parquet)', () => {
  it('square_008um: the bins are summed into 96 um squares equal to an independent numpy reference', async () => {
    const ds = await loadStDataset(await loadNodeStFiles([`${BINNED}/square_008um`]));
    expectEqualsReference(ds);
    expect(ds.genes.symbols.length).toBe(expected.bins[0].counts.length);
    expect(ds.files.map((f) => f.role).join(' | ')).toMatch(/Visium HD bins, Parquet.*bins of 8 um summed into 9 bins of 96 um \(12 x 12\)/);
    const sum = getStSummary(ds);
    expect(sum.spots).toBe(expected.bins.length);
  });

  it('the whole binned_outputs folder: the 16 um bins are read (fewer rows, same sums) and the 8 um ones are named as not read', async () => {
    const ds = await loadStDataset(await loadNodeStFiles([BINNED]));
    expectEqualsReference(ds, 16);
    expect(ds.files.map((f) => f.role).join(' | ')).toMatch(/bins of 16 um summed into 9 bins of 96 um \(6 x 6\)/);
    expect(ds.warnings.join(' ')).toMatch(/read square_016um; other bin sizes not read: square_008um/);
  });

  it('hdBinUm = 8 keeps the native bins with their Space Ranger barcodes; 100 um becomes 13 x 8 = 104 um with a warning', async () => {
    const native = await loadStDataset(await loadNodeStFiles([BINNED]), { hdBinUm: 8 });
    expect(native.spots.ids.length).toBe(expected.in_tissue_8um);
    expect(native.spots.ids[0]).toMatch(/^s_008um_\d{5}_\d{5}-1$/);
    expect(native.spots.diameterPx).toBeCloseTo(8 / expected.mpp, 6);
    expect(native.pitchUm).toBe(8);
    // the native bins sum to the 96 um ones
    let total = 0;
    for (const v of native.matrix.data) total += v;
    const ref = expected.bins.reduce((s, b) => s + b.counts.reduce((a, c) => a + c, 0), 0);
    expect(total).toBe(ref);
    const odd = await loadStDataset(await loadNodeStFiles([`${BINNED}/square_008um`]), { hdBinUm: 100 });
    expect(odd.pitchUm).toBe(104);
    expect(odd.warnings.join(' ')).toMatch(/100 um is not a multiple of the 8 um bins; summed into 104 um bins/);
  });

  it('2 um bins are refused with what to drop instead; a file that is not Parquet says so', async () => {
    const parquet = readFileSync(`${BINNED}/square_008um/spatial/tissue_positions.parquet`);
    const twoUm = [createBytesStFile('tissue_positions.parquet', new Uint8Array(parquet), 'binned_outputs/square_002um/spatial/tissue_positions.parquet')];
    await expect(loadStDataset(twoUm)).rejects.toThrow(/2 um bins .*too many to read here\. Drop binned_outputs\/square_008um or square_016um/);
    const cut = [createBytesStFile('tissue_positions.parquet', new Uint8Array(parquet.subarray(0, 5000)), 'square_008um/spatial/tissue_positions.parquet')];
    await expect(loadStDataset(cut)).rejects.toThrow(/tissue_positions\.parquet: is not a Parquet file .*truncated/);
  });

  it('summing while the h5 is read (block by block, in any barcode order) equals summing the whole matrix in memory', async () => {
    const native = await loadStDataset(await loadNodeStFiles([`${BINNED}/square_008um`]), { hdBinUm: 8 });
    const num = (name: string) => {
      const a = native.spots.annotations[name];
      return a.kind === 'numeric' ? Int32Array.from(a.values) : new Int32Array(0);
    };
    const g = getHdBinGroups({ x: native.spots.x, y: native.spots.y, inTissue: native.spots.inTissue, arrayRow: num('array_row'), arrayCol: num('array_col') }, 12, 96);
    const inMemory = getSummedCsrRows(native.matrix, g.rowOf, g.ids.length);
    const ids = new Map(native.spots.ids.map((id, i) => [id, i]));
    const h5 = (await loadHdf5(createBytesStFile('filtered_feature_bc_matrix.h5', new Uint8Array(readFileSync(`${BINNED}/square_008um/filtered_feature_bc_matrix.h5`))))).file;
    for (const blockRows of [1, 2, 4, 1000]) {
      const m = readTenxH5(h5, 'fixture.h5', {}, (barcodes) => ({ rowOf: Int32Array.from(barcodes, (b) => g.rowOf[ids.get(b) ?? -1] ?? -1), nRows: g.ids.length, blockRows }));
      expect(m.matrix.nRows).toBe(inMemory.nRows);
      expect(Array.from(m.matrix.indptr)).toEqual(Array.from(inMemory.indptr));
      expect(Array.from(m.matrix.indices)).toEqual(Array.from(inMemory.indices));
      expect(Array.from(m.matrix.data)).toEqual(Array.from(inMemory.data));
    }
    // and both equal the numpy reference
    expected.bins.forEach((b, i) => {
      const row = new Array(inMemory.nCols).fill(0);
      for (let p = Number(inMemory.indptr[i]); p < Number(inMemory.indptr[i + 1]); p++) row[inMemory.indices[p]] = inMemory.data[p];
      expect(row).toEqual(b.counts);
    });
  });

  it('a cancelled read stops with an AbortError; a grid of one row still gets finite centres', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(loadStDataset(await loadNodeStFiles([`${BINNED}/square_008um`]), { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
    const g = getHdBinGroups(
      { x: Float64Array.of(10, 40, 70), y: Float64Array.of(5, 5, 5), inTissue: Uint8Array.of(1, 1, 1), arrayRow: Int32Array.of(0, 0, 0), arrayCol: Int32Array.of(0, 1, 2) },
      2,
      16,
    );
    expect(g.ids).toEqual(['s_016um_00000_00000-1', 's_016um_00000_00001-1']);
    expect(Array.from(g.x)).toEqual([25, 70]);
    expect(Array.from(g.y)).toEqual([5, 5]);
  });
});
