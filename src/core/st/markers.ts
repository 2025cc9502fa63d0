/**
 * Marker genes of a group of spots against the rest (the spots called cancer against the other
 * scored spots, or a labelled class): what a computational biologist asks next of a region.
 *
 * Per gene, on log1p(CP10k) of each spot (library size = the spot's total counts over all genes):
 * - `auc`: the Mann-Whitney U of group vs rest over n1 * n0 (ties count half), the probability
 *   that a random group spot expresses the gene more than a random other spot (0.5: no
 *   difference; scipy.stats.mannwhitneyu's U statistic, divided);
 * - `log2fc`: log2 of the ratio of the groups' mean CP10k back-transformed from the mean
 *   log1p values, as scanpy's rank_genes_groups reports it: log2((expm1(m1) + 1e-9) / (expm1(m0) + 1e-9));
 * - detection fractions in both groups. Only genes detected in at least `minFraction` of the spots
 *   of one of the two groups are ranked (scanpy's filter_rank_genes_groups idea).
 * Up markers are ranked by auc (descending), down markers by auc (ascending), ties by |log2fc|.
 */
import { getCsvField } from './text/delimited.ts';
import type { StDataset } from './types.ts';

export interface GeneMarker {
  /** index into the dataset's genes */
  gene: number;
  symbol: string;
  auc: number;
  log2fc: number;
  /** mean log1p(CP10k) in the group and in the rest */
  meanIn: number;
  meanOut: number;
  /** fraction of spots with a count > 0 */
  fracIn: number;
  fracOut: number;
}

export interface GroupMarkers {
  nIn: number;
  nOut: number;
  /** genes that passed the detection filter and were ranked */
  tested: number;
  up: GeneMarker[];
  down: GeneMarker[];
}

export interface MarkerOptions {
  /** markers per direction (default 20) */
  top?: number;
  /** detection filter (default 0.1) */
  minFraction?: number;
}

/**
 * Markers of `inGroup[k] = 1` among the spots `spots[k]` (row indices of the matrix) against the
 * other listed spots. Throws when either group is empty.
 */
export function getGroupMarkers(ds: StDataset, spots: ArrayLike<number>, inGroup: ArrayLike<number>, opts: MarkerOptions = {}): GroupMarkers {
  const top = opts.top ?? 20;
  const minFraction = opts.minFraction ?? 0.1;
  const { indptr, indices, data, nCols } = ds.matrix;
  const n = spots.length;
  let nIn = 0;
  for (let k = 0; k < n; k++) if (inGroup[k]) nIn++;
  const nOut = n - nIn;
  if (nIn === 0 || nOut === 0) throw new Error(`marker genes need spots in both groups (${nIn} in the group, ${nOut} outside).`);

  // per gene: the listed spots with a count, as (count / library size, group) pairs (CSR rows ->
  // gene lists). The ranks use that ratio, one correctly rounded division, so spots whose ratios
  // are equal tie exactly (log1p(1e4 x ratio) has the same order; its last bit can differ by library)
  const nnzPerGene = new Int32Array(nCols);
  const size = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const r = spots[k];
    let total = 0;
    for (let p = indptr[r]; p < indptr[r + 1]; p++) {
      if (data[p] > 0) {
        nnzPerGene[indices[p]]++;
        total += data[p];
      }
    }
    size[k] = total;
  }
  const start = new Int32Array(nCols + 1);
  for (let g = 0; g < nCols; g++) start[g + 1] = start[g] + nnzPerGene[g];
  const fill = start.slice(0, nCols);
  const values = new Float64Array(start[nCols]);
  const group = new Uint8Array(start[nCols]);
  for (let k = 0; k < n; k++) {
    const r = spots[k];
    for (let p = indptr[r]; p < indptr[r + 1]; p++) {
      if (data[p] <= 0) continue;
      const at = fill[indices[p]]++;
      values[at] = data[p] / size[k];
      group[at] = inGroup[k] ? 1 : 0;
    }
  }

  const ranked: GeneMarker[] = [];
  const order: number[] = [];
  for (let g = 0; g < nCols; g++) {
    const s = start[g];
    const e = start[g + 1];
    let detIn = 0;
    let sumIn = 0;
    let sumOut = 0;
    for (let i = s; i < e; i++) {
      const v = Math.log1p(values[i] * 1e4);
      if (group[i]) {
        detIn++;
        sumIn += v;
      } else sumOut += v;
    }
    const detOut = e - s - detIn;
    const fracIn = detIn / nIn;
    const fracOut = detOut / nOut;
    if (fracIn < minFraction && fracOut < minFraction) continue;
    // U of the group: pairs (group spot, other spot) where the group's value is higher, ties half.
    // The zeros (spots without a count) tie with each other at the bottom.
    const zIn = nIn - detIn;
    const zOut = nOut - detOut;
    order.length = 0;
    for (let i = s; i < e; i++) order.push(i);
    order.sort((a, b) => values[a] - values[b]);
    // rank sum of the group over all n spots: zeros take ranks 1..z (mean (z + 1) / 2)
    const z = zIn + zOut;
    let rankSumIn = (zIn * (z + 1)) / 2;
    for (let i = 0; i < order.length; ) {
      let j = i;
      while (j + 1 < order.length && values[order[j + 1]] === values[order[i]]) j++;
      const meanRank = z + (i + j) / 2 + 1;
      for (let t = i; t <= j; t++) if (group[order[t]]) rankSumIn += meanRank;
      i = j + 1;
    }
    const u = rankSumIn - (nIn * (nIn + 1)) / 2;
    const meanIn = sumIn / nIn;
    const meanOut = sumOut / nOut;
    ranked.push({
      gene: g,
      symbol: ds.genes.symbols[g],
      auc: u / (nIn * nOut),
      log2fc: Math.log2((Math.expm1(meanIn) + 1e-9) / (Math.expm1(meanOut) + 1e-9)),
      meanIn,
      meanOut,
      fracIn,
      fracOut,
    });
  }
  const byUp = [...ranked].sort((a, b) => b.auc - a.auc || b.log2fc - a.log2fc || a.gene - b.gene);
  const byDown = [...ranked].sort((a, b) => a.auc - b.auc || a.log2fc - b.log2fc || a.gene - b.gene);
  return {
    nIn,
    nOut,
    tested: ranked.length,
    up: byUp.slice(0, top).filter((m) => m.auc > 0.5),
    down: byDown.slice(0, top).filter((m) => m.auc < 0.5),
  };
}

const MARKER_COLUMNS = ['direction', 'rank', 'gene', 'auc', 'log2fc', 'mean_in', 'mean_out', 'frac_in', 'frac_out'];

/** direction,rank,gene,auc,log2fc,mean_in,mean_out,frac_in,frac_out (means of log1p CP10k). */
export function getMarkersCsv(m: GroupMarkers): string {
  const f = (v: number) => Number(v.toFixed(6)).toString();
  const lines = [MARKER_COLUMNS.join(',')];
  for (const [direction, list] of [['up', m.up], ['down', m.down]] as const) {
    for (const [i, g] of list.entries()) {
      lines.push([direction, String(i + 1), getCsvField(g.symbol), f(g.auc), f(g.log2fc), f(g.meanIn), f(g.meanOut), f(g.fracIn), f(g.fracOut)].join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}
