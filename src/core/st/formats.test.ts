/**
 * The same synthetic matrix written in every supported format (tests/fixtures/st/make_fixtures.py)
 * must load to the same numbers, through the core and through the CLI.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getCategoryCounts } from './annotations.ts';
import { createBytesStFile } from './files/bytes.ts';
import { loadNodeStFiles } from './files/node.ts';
import { getGeneIndex, getGeneValues } from './genes.ts';
import { loadStDataset } from './load.ts';
import { getStSummary } from './summary.ts';
import type { StDataset } from './types.ts';

const ROOT = resolve(__dirname, '../../..');
const FX = `${ROOT}/tests/fixtures/st`;
const expected = JSON.parse(readFileSync(`${FX}/expected.json`, 'utf8')) as {
  barcodes: string[];
  symbols: string[];
  ids: string[];
  x: number[];
  y: number[];
  nnz: number;
  total: number;
  colSums: number[];
  rowSums: number[];
  samples: [number, number, number][];
  region: Record<string, number>;
};

function dense(ds: StDataset): Float64Array {
  const out = new Float64Array(ds.matrix.nRows * ds.matrix.nCols);
  for (let r = 0; r < ds.matrix.nRows; r++) {
    for (let p = ds.matrix.indptr[r]; p < ds.matrix.indptr[r + 1]; p++) out[r * ds.matrix.nCols + ds.matrix.indices[p]] = ds.matrix.data[p];
  }
  return out;
}

const SETS: Record<string, string[]> = {
  'visium-h5 (SR3, header positions)': ['visium_sr3'],
  'visium-mex gz (SR1 positions)': ['visium_sr1_mex'],
  'mex plain v2 genes.tsv': ['mex_plain_v2', 'visium_sr3/spatial'],
  'anndata 0.8 csr': ['anndata/anndata08_csr.h5ad'],
  'anndata 0.8 csc scaled + raw': ['anndata/anndata08_csc_scaled.h5ad'],
  'anndata 0.8 dense': ['anndata/anndata08_dense.h5ad'],
  'anndata 0.7 layout': ['anndata/anndata07_legacy.h5ad'],
  'csv wide gz': ['csv/wide.csv.gz'],
};

describe('one matrix, every format', () => {
  const loaded = new Map<string, StDataset>();
  for (const [name, paths] of Object.entries(SETS)) {
    it(`${name}: same spots, genes, positions and counts as written`, async () => {
      const ds = await loadStDataset(await loadNodeStFiles(paths.map((p) => `${FX}/${p}`)));
      loaded.set(name, ds);
      expect(ds.spots.ids).toEqual(expected.barcodes);
      expect(ds.genes.symbols).toEqual(expected.symbols);
      if (!name.startsWith('csv')) expect(ds.genes.ids).toEqual(expected.ids);
      expect(Array.from(ds.spots.x)).toEqual(expected.x);
      expect(Array.from(ds.spots.y)).toEqual(expected.y);
      expect(ds.matrix.indices.length).toBe(expected.nnz);
      const d = dense(ds);
      const nG = expected.symbols.length;
      expect(d.reduce((a, b) => a + b, 0)).toBe(expected.total);
      for (const [r, c, v] of expected.samples) expect(d[r * nG + c]).toBe(v);
      const colSums = new Array(nG).fill(0);
      const rowSums = new Array(expected.barcodes.length).fill(0);
      d.forEach((v, i) => {
        colSums[i % nG] += v;
        rowSums[Math.floor(i / nG)] += v;
      });
      expect(colSums).toEqual(expected.colSums);
      expect(rowSums).toEqual(expected.rowSums);
      // canonical CSR: ascending columns per row, no stored zeros
      for (let r = 0; r < ds.matrix.nRows; r++) {
        for (let p = ds.matrix.indptr[r] + 1; p < ds.matrix.indptr[r + 1]; p++) expect(ds.matrix.indices[p]).toBeGreaterThan(ds.matrix.indices[p - 1]);
      }
      expect(ds.matrix.data.every((v) => v !== 0)).toBe(true);
      // duplicated symbol resolved to the first column and reported
      expect(ds.genes.duplicates).toEqual(['TTTY14 (2 columns)']);
      const first = expected.symbols.indexOf('TTTY14');
      expect(getGeneIndex(ds).find('ttty14')).toBe(first);
      if (!name.startsWith('csv')) expect(getGeneIndex(ds).find(expected.ids[expected.symbols.lastIndexOf('TTTY14')])).toBe(expected.symbols.lastIndexOf('TTTY14'));
      expect(ds.warnings.join(' ')).toMatch(/TTTY14 \(2 columns\)/);
      if (name.startsWith('anndata')) expect(getCategoryCounts(ds.spots.annotations.region)).toEqual(expected.region);
      if (name.includes('scaled') || name.includes('0.7')) expect(ds.warnings.join(' ')).toMatch(/raw counts were read from raw\/X/);
    });
  }

  it('all formats give the identical dense matrix', () => {
    const ref = dense(loaded.get('visium-h5 (SR3, header positions)')!);
    expect(loaded.size).toBe(Object.keys(SETS).length);
    for (const ds of loaded.values()) expect(dense(ds)).toEqual(ref);
  });

  it('the long table (+ positions file) gives the same counts per gene (duplicated TTTY14 summed)', async () => {
    const ds = await loadStDataset(await loadNodeStFiles([`${FX}/csv/long.tsv`, `${FX}/csv/positions.csv`]));
    expect(ds.format).toBe('csv-long');
    expect(ds.spots.ids).toEqual(expected.barcodes);
    const ref = loaded.get('visium-h5 (SR3, header positions)')!;
    for (const g of new Set(expected.symbols)) {
      if (g === 'TTTY14') continue;
      const a = getGeneValues(ref, g)!;
      const b = getGeneValues(ds, g) ?? new Float32Array(a.length);
      expect(Array.from(b)).toEqual(Array.from(a));
    }
  });

  it('the CLI writes the same values (spot_id,x,y,value) from h5, MEX and h5ad', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusescope-st-'));
    const ref = loaded.get('visium-h5 (SR3, header positions)')!;
    const erbb2 = getGeneValues(ref, 'ERBB2')!;
    expect(erbb2.some((v) => v > 0)).toBe(true);
    for (const [i, input] of ['visium_sr3', 'visium_sr1_mex', 'anndata/anndata08_csc_scaled.h5ad'].entries()) {
      const out = join(dir, `v${i}.csv`);
      const r = spawnSync(process.execPath, [`${ROOT}/bin/fusescope.mjs`, 'st', `${FX}/${input}`, '--gene', 'ERBB2', '--out', out], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const lines = readFileSync(out, 'utf8').trim().split('\n');
      expect(lines[0]).toBe('spot_id,x,y,value');
      expect(lines.length).toBe(expected.barcodes.length + 1);
      lines.slice(1).forEach((l, k) => {
        const [id, x, y, v] = l.split(',');
        expect([id, Number(x), Number(y), Number(v)]).toEqual([expected.barcodes[k], expected.x[k], expected.y[k], erbb2[k]]);
      });
    }
    rmSync(dir, { recursive: true, force: true });
    const j = spawnSync(process.execPath, [`${ROOT}/bin/fusescope.mjs`, 'st', `${FX}/visium_sr1_mex`, '--json', '--frame', 'hires'], { encoding: 'utf8' });
    expect(j.status).toBe(0);
    const json = JSON.parse(j.stdout);
    expect(Object.keys(json).slice(0, 6)).toEqual(['platform', 'spots', 'spotsInTissue', 'genes', 'frame', 'spotDiameterPx']);
    expect(json).toMatchObject({ platform: 'visium', spots: 300, spotsInTissue: 300, genes: 240, frame: 'hires', nonZeros: expected.nnz });
    expect(json.spotDiameterPx).toBeCloseTo(177.48170171293427 * 0.08250825, 9);
  });

  it('keeps the 40 off-tissue spots of the positions file out (no counts), and in-memory files load the same', async () => {
    const paths = ['visium_sr3/filtered_feature_bc_matrix.h5', 'visium_sr3/spatial/tissue_positions.csv', 'visium_sr3/spatial/scalefactors_json.json'];
    const files = paths.map((p) => createBytesStFile(p.split('/').pop()!, new Uint8Array(readFileSync(`${FX}/${p}`)), p));
    const ds = await loadStDataset(files, { targetFrame: 'lowres' });
    const sum = getStSummary(ds);
    expect(sum).toMatchObject({ spots: 300, spotsInTissue: 300, frame: 'lowres', format: 'visium-h5' });
    expect(ds.spots.x[0]).toBeCloseTo(expected.x[0] * 0.024752475, 9);
    expect(ds.warnings.join(' ')).not.toMatch(/in-tissue spots .* have no counts/);
  });

  it('reports progress and can be cancelled', async () => {
    const fractions: number[] = [];
    await loadStDataset(await loadNodeStFiles([`${FX}/visium_sr3`]), { onProgress: (f) => fractions.push(f) });
    expect(fractions[0]).toBe(0);
    expect(fractions[fractions.length - 1]).toBe(1);
    expect(fractions.every((f, i) => i === 0 || f >= fractions[i - 1])).toBe(true);
    const ac = new AbortController();
    ac.abort();
    await expect(loadStDataset(await loadNodeStFiles([`${FX}/visium_sr3`]), { signal: ac.signal })).rejects.toThrow(/abort/i);
  });
});
