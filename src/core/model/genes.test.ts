import { describe, expect, it } from 'vitest';
import { getGeneAlignment, getGeneInputs, getLibrarySizes, getNeighbourhoodMean, getNormalisedGenes } from './genes.ts';

describe('gene alignment', () => {
  it('matches Ensembl ids first (version suffix ignored), then symbols case-insensitively', () => {
    const genes = { symbols: ['erbb2', 'GRB7', 'KRT19', 'ERBB2'], ids: ['ENSG00000141736.13', '', 'ENSG00000171345', ''], duplicates: [] };
    const a = getGeneAlignment(
      [
        { symbol: 'ERBB2', ensembl: 'ENSG00000141736' },
        { symbol: 'Grb7', ensembl: null },
        { symbol: 'KRT19-renamed', ensembl: 'ENSG00000171345' },
        { symbol: 'MISSING', ensembl: 'ENSG00000000000' },
      ],
      genes,
    );
    expect(Array.from(a.columns)).toEqual([0, 1, 2, -1]);
    expect(a).toMatchObject({ matched: 3, coverage: 0.75, matchedByEnsembl: 2, matchedBySymbol: 1, missing: ['MISSING'] });
  });

  it('CP10k + log1p with the library size over all genes, zero-filled missing genes', () => {
    // 2 spots x 3 genes: [[1, 0, 3], [0, 0, 0]]; panel = [gene 2, missing, gene 0]
    const m = { nRows: 2, nCols: 3, indptr: Int32Array.from([0, 2, 2]), indices: Int32Array.from([0, 2]), data: Float32Array.from([1, 3]) };
    expect(Array.from(getLibrarySizes(m))).toEqual([4, 0]);
    const a = { columns: Int32Array.from([2, -1, 0]), matched: 2, coverage: 2 / 3, missing: ['x'], matchedByEnsembl: 0, matchedBySymbol: 2 };
    const v = getNormalisedGenes(m, Int32Array.from([0, 1]), a, { targetSum: 1e4, log1p: true, perSlideScaling: 'none' });
    expect(v[0]).toBeCloseTo(Math.log1p(7500), 5);
    expect(v[1]).toBe(0);
    expect(v[2]).toBeCloseTo(Math.log1p(2500), 5);
    expect(Array.from(v.subarray(3))).toEqual([0, 0, 0]);
  });

  it('neighbourhood mean: each spot averaged with its k nearest spots, from the un-averaged values', () => {
    // 4 spots on a line at x = 0, 1, 2, 10; 2 genes
    const v = Float32Array.from([1, 10, 2, 20, 3, 30, 100, 1000]);
    // k = 1: nearest other spot: 0->1, 1->0 (tie with 2, lower index), 2->1, 3->2
    const k1 = getNeighbourhoodMean(v, 2, Int32Array.from([1, 0, 1, 2]), 1);
    expect(Array.from(k1)).toEqual([1.5, 15, 1.5, 15, 2.5, 25, 51.5, 515]);
    expect(getNeighbourhoodMean(v, 2, new Int32Array(0), 0)).toBe(v);
  });

  it('getGeneInputs applies the package neighbourhood mean over the spot positions', () => {
    // 3 spots x 2 genes, counts [[1, 3], [1, 1], [3, 1]] -> CP10k [[2500, 7500], [5000, 5000], [7500, 2500]]
    const m = { nRows: 3, nCols: 2, indptr: Int32Array.from([0, 2, 4, 6]), indices: Int32Array.from([0, 1, 0, 1, 0, 1]), data: Float32Array.from([1, 3, 1, 1, 3, 1]) };
    const a = { columns: Int32Array.from([0, 1]), matched: 2, coverage: 1, missing: [], matchedByEnsembl: 0, matchedBySymbol: 2 };
    const norm = { targetSum: 1e4, log1p: false, perSlideScaling: 'none' as const };
    const rows = Int32Array.from([0, 1, 2]);
    const x = [0, 1, 5];
    const y = [0, 0, 0];
    // k = 1: nearest of spot 0 is 1, of 1 is 0, of 2 is 1
    expect(Array.from(getGeneInputs(m, rows, a, { ...norm, neighbourhoodMean: 1 }, x, y))).toEqual([3750, 6250, 3750, 6250, 6250, 3750]);
    expect(Array.from(getGeneInputs(m, rows, a, { ...norm, neighbourhoodMean: 0 }, x, y))).toEqual([2500, 7500, 5000, 5000, 7500, 2500]);
  });
});
