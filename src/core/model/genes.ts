/**
 * Gene preprocessing per the model package contract: align the data's genes to the model panel
 * (Ensembl id when both sides have one, else symbol, case-insensitive; missing genes zero-filled),
 * v = log1p(count / librarySize * targetSum) with the library size over ALL genes of the spot,
 * then per-slide scaling per gene over the given (in-tissue) spots.
 */
import type { CsrMatrix, GeneTable } from '../st/types.ts';
import type { ModelManifest } from './manifest.ts';
import { getNeighbourGraph } from './neighbours.ts';

export interface GeneAlignment {
  /** per panel gene: the data column, or -1 when the data lacks it */
  columns: Int32Array;
  matched: number;
  /** matched / panel size */
  coverage: number;
  /** panel symbols the data lacks (all of them) */
  missing: string[];
  matchedByEnsembl: number;
  matchedBySymbol: number;
}

function stripVersion(id: string): string {
  const dot = id.indexOf('.');
  return (dot > 0 ? id.slice(0, dot) : id).toUpperCase();
}

/** Match the panel to the data's genes; the first data column wins when a symbol repeats. */
export function getGeneAlignment(panel: ModelManifest['gene']['panel'], genes: GeneTable): GeneAlignment {
  const bySymbol = new Map<string, number>();
  const byId = new Map<string, number>();
  for (let c = 0; c < genes.symbols.length; c++) {
    const s = genes.symbols[c]?.toUpperCase();
    if (s && !bySymbol.has(s)) bySymbol.set(s, c);
    const id = genes.ids[c];
    if (id) {
      const key = stripVersion(id);
      if (!byId.has(key)) byId.set(key, c);
    }
  }
  const columns = new Int32Array(panel.length).fill(-1);
  const missing: string[] = [];
  let matchedByEnsembl = 0;
  let matchedBySymbol = 0;
  for (let g = 0; g < panel.length; g++) {
    const entry = panel[g];
    let col = -1;
    if (entry.ensembl && byId.size > 0) {
      col = byId.get(stripVersion(entry.ensembl)) ?? -1;
      if (col >= 0) matchedByEnsembl++;
    }
    if (col < 0) {
      col = bySymbol.get(entry.symbol.toUpperCase()) ?? -1;
      if (col >= 0) matchedBySymbol++;
    }
    columns[g] = col;
    if (col < 0) missing.push(entry.symbol);
  }
  const matched = matchedByEnsembl + matchedBySymbol;
  return { columns, matched, coverage: panel.length ? matched / panel.length : 0, missing, matchedByEnsembl, matchedBySymbol };
}

/** Total counts of every spot (row sums over all genes). */
export function getLibrarySizes(matrix: CsrMatrix): Float64Array {
  const out = new Float64Array(matrix.nRows);
  const { indptr, data } = matrix;
  for (let r = 0; r < matrix.nRows; r++) {
    let s = 0;
    for (let p = indptr[r]; p < indptr[r + 1]; p++) s += data[p];
    out[r] = s;
  }
  return out;
}

export interface GeneNormalisation {
  targetSum: number;
  log1p: boolean;
  perSlideScaling: 'zscore' | 'minmax' | 'none';
}

/**
 * The model's gene input for the given rows (spots): rows.length x panel size, row-major.
 * Scaling statistics are computed over exactly these rows (pass the in-tissue spots of one slide).
 */
export function getNormalisedGenes(matrix: CsrMatrix, rows: Int32Array, alignment: GeneAlignment, norm: GeneNormalisation): Float32Array {
  const G = alignment.columns.length;
  const n = rows.length;
  // data column -> panel slot
  const slotOf = new Int32Array(matrix.nCols).fill(-1);
  for (let g = 0; g < G; g++) if (alignment.columns[g] >= 0) slotOf[alignment.columns[g]] = g;
  const v = new Float64Array(n * G);
  const { indptr, indices, data } = matrix;
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    let lib = 0;
    for (let p = indptr[r]; p < indptr[r + 1]; p++) lib += data[p];
    if (lib <= 0) continue;
    const f = norm.targetSum / lib;
    for (let p = indptr[r]; p < indptr[r + 1]; p++) {
      const g = slotOf[indices[p]];
      if (g < 0) continue;
      const x = data[p] * f;
      v[i * G + g] += norm.log1p ? Math.log1p(x) : x;
    }
  }
  const out = new Float32Array(n * G);
  if (norm.perSlideScaling === 'none' || n === 0) {
    for (let q = 0; q < v.length; q++) out[q] = v[q];
    return out;
  }
  for (let g = 0; g < G; g++) {
    let a: number;
    let b: number;
    if (norm.perSlideScaling === 'zscore') {
      let mean = 0;
      for (let i = 0; i < n; i++) mean += v[i * G + g];
      mean /= n;
      let ss = 0;
      for (let i = 0; i < n; i++) {
        const d = v[i * G + g] - mean;
        ss += d * d;
      }
      // population standard deviation (numpy's default ddof=0)
      a = mean;
      b = Math.sqrt(ss / n) + 1e-6;
    } else {
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < n; i++) {
        const x = v[i * G + g];
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
      a = lo;
      b = hi - lo + 1e-6;
    }
    for (let i = 0; i < n; i++) out[i * G + g] = (v[i * G + g] - a) / b;
  }
  return out;
}

/**
 * Contract step `gene.neighbourhoodMean` (k > 0): each spot's scaled panel vector replaced by the
 * mean over itself and its k nearest in-tissue spots. `values` is n x G row-major (the output of
 * getNormalisedGenes), `nbr` the n x k neighbour graph over the same spots (getNeighbourGraph).
 */
export function getNeighbourhoodMean(values: Float32Array, G: number, nbr: Int32Array, k: number): Float32Array {
  const n = G > 0 ? values.length / G : 0;
  if (k === 0) return values;
  const out = new Float32Array(values.length);
  const acc = new Float64Array(G);
  for (let i = 0; i < n; i++) {
    for (let g = 0; g < G; g++) acc[g] = values[i * G + g];
    for (let j = 0; j < k; j++) {
      const q = nbr[i * k + j] * G;
      for (let g = 0; g < G; g++) acc[g] += values[q + g];
    }
    for (let g = 0; g < G; g++) out[i * G + g] = acc[g] / (k + 1);
  }
  return out;
}

/**
 * The gene model's input for one slide's in-tissue spots: getNormalisedGenes, then the
 * neighbourhood mean when the package asks for it. `x` / `y`: the spots' centres, same order as `rows`.
 */
export function getGeneInputs(
  matrix: CsrMatrix,
  rows: Int32Array,
  alignment: GeneAlignment,
  gene: GeneNormalisation & { neighbourhoodMean?: number },
  x: ArrayLike<number>,
  y: ArrayLike<number>,
): Float32Array {
  const scaled = getNormalisedGenes(matrix, rows, alignment, gene);
  const k = gene.neighbourhoodMean ?? 0;
  if (k === 0) return scaled;
  return getNeighbourhoodMean(scaled, alignment.columns.length, getNeighbourGraph(x, y, k), k);
}
