import { describe, expect, it } from 'vitest';
import { getGeneIndex, getGeneTable, getGeneValues } from './genes.ts';
import { getCanonicalCsr, getCsrColumn, getCsrColumns, getCsrFromCsc, getCsrFromDense, getCsrFromTriplets, getCsrRows } from './matrix.ts';
import { getDelimiter, scanNumericRow } from './text/delimited.ts';

const dense = [
  [0, 2, 0, 1],
  [3, 0, 0, 0],
  [0, 0, 5, 4],
];
const flat = dense.flat();

describe('CSR helpers', () => {
  it('builds the same CSR from dense, triplets (any order, duplicates summed) and CSC', () => {
    const a = getCsrFromDense(3, 4, flat);
    expect(Array.from(a.indptr)).toEqual([0, 2, 3, 5]);
    expect(Array.from(a.indices)).toEqual([1, 3, 0, 2, 3]);
    expect(Array.from(a.data)).toEqual([2, 1, 3, 5, 4]);
    const b = getCsrFromTriplets(3, 4, Int32Array.of(2, 0, 1, 2, 0, 0), Int32Array.of(3, 3, 0, 2, 1, 1), Float32Array.of(4, 1, 3, 5, 1, 1));
    expect(b).toEqual(a);
    // CSC of the same matrix: columns 0..3
    const c = getCsrFromCsc(3, 4, Int32Array.of(0, 1, 2, 3, 5), Int32Array.of(1, 0, 2, 0, 2), Float32Array.of(3, 2, 5, 1, 4));
    expect(c).toEqual(a);
    expect(Array.from(getCsrColumn(a, 3))).toEqual([1, 0, 4]);
  });

  it('canonicalises unsorted rows and drops stored zeros; subsets rows and columns', () => {
    const m = getCanonicalCsr({ nRows: 2, nCols: 3, indptr: Int32Array.of(0, 3, 4), indices: Int32Array.of(2, 0, 1, 1), data: Float32Array.of(7, 0, 8, 9) });
    expect(Array.from(m.indices)).toEqual([1, 2, 1]);
    expect(Array.from(m.data)).toEqual([8, 7, 9]);
    const a = getCsrFromDense(3, 4, flat);
    const r = getCsrRows(a, Int32Array.of(2, 0));
    expect(Array.from(getCsrColumn(r, 3))).toEqual([4, 1]);
    const k = getCsrColumns(getCsrFromDense(3, 4, flat), Uint8Array.of(1, 0, 1, 1));
    expect(k.nCols).toBe(3);
    expect(Array.from(getCsrColumn(k, 2))).toEqual([1, 0, 4]);
  });
});

describe('gene lookup', () => {
  it('finds by symbol or Ensembl id, case-insensitive, first column for duplicated symbols', () => {
    const { genes, warnings } = getGeneTable(['ERBB2', 'TTTY14', 'GRB7', 'ttty14'], ['ENSG00000141736', 'ENSG1', 'ENSG00000141738', 'ENSG2']);
    expect(genes.duplicates).toEqual(['TTTY14 (2 columns)']);
    expect(warnings[0]).toMatch(/TTTY14 \(2 columns\); a lookup by symbol uses the first column/);
    const idx = getGeneIndex({ genes });
    expect(idx.find('erbb2')).toBe(0);
    expect(idx.find('TTTY14')).toBe(1);
    expect(idx.find('ensg2')).toBe(3);
    expect(idx.find('ENSG00000141738.12')).toBe(2);
    expect(idx.find('nope')).toBe(-1);
    const ds = { genes, matrix: getCsrFromDense(3, 4, flat) };
    expect(Array.from(getGeneValues(ds, 'grb7')!)).toEqual([0, 0, 5]);
    expect(getGeneValues(ds, 'nope')).toBeNull();
  });
});

describe('delimited text', () => {
  it('sniffs tab, comma and semicolon; R-style headers one field short', () => {
    expect(getDelimiter(['a\tb\tc', '1\t2\t3'], 'f')).toBe('\t');
    expect(getDelimiter(['a;b;c', '1;2,5;3'], 'f')).toBe(';');
    expect(getDelimiter(['"x","y"', 'r1,1,2'], 'f')).toBe(',');
    expect(() => getDelimiter(['a|b|c', '1|2|3'], 'f.csv')).toThrow(/f\.csv: could not be split into columns/);
  });

  it('scans numeric rows without per-cell strings, and points at a bad field', () => {
    const out = new Float64Array(4);
    expect(scanNumericRow('id,1,0,12,3.5', 44, 1, out)).toBe(-1);
    expect(Array.from(out)).toEqual([1, 0, 12, 3.5]);
    expect(scanNumericRow('id,1,,1e2,"4"', 44, 1, out)).toBe(-1);
    expect(Array.from(out)).toEqual([1, 0, 100, 4]);
    expect(scanNumericRow('id,1,x,2,3', 44, 1, out)).toBe(1);
  });
});
