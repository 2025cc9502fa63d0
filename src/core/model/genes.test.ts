import { describe, expect, it } from 'vitest';
import { getGeneAlignment, getLibrarySizes, getNormalisedGenes } from './genes.ts';

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
});
