/**
 * Per-spot values behind the spot colours: a gene (raw counts through a display transform), an
 * annotation column, or model scores. Pure functions over the StDataset (no DOM).
 */
import { getGeneIndex } from '../../core/st/genes';
import { getCsrColumn, getCsrRowSums } from '../../core/st/matrix';
import type { StDataset } from '../../core/st/types';
import type { ColourSource, DisplayTransform } from './stStore';

export type SpotValues =
  | { kind: 'uniform'; label: string }
  | { kind: 'continuous'; values: Float32Array; label: string; note?: string }
  | { kind: 'categorical'; codes: Int32Array; categories: string[]; label: string }
  /** the source names something this dataset does not have */
  | { kind: 'missing'; label: string; reason: string };

export const TRANSFORM_LABEL: Record<DisplayTransform, string> = {
  raw: 'raw counts',
  log1p: 'log1p(counts)',
  cp10k: 'CP10k',
  'log1p-cp10k': 'log1p(CP10k)',
};

const rowSumCache = new WeakMap<object, Float64Array>();

/** Total counts per spot (cached per matrix). */
export function getSpotTotals(ds: Pick<StDataset, 'matrix'>): Float64Array {
  let sums = rowSumCache.get(ds.matrix);
  if (!sums) {
    sums = getCsrRowSums(ds.matrix);
    rowSumCache.set(ds.matrix, sums);
  }
  return sums;
}

/** Apply a display transform to raw counts (new array). CP10k = counts / spot total x 10,000. */
export function getTransformedCounts(raw: Float32Array, totals: Float64Array, transform: DisplayTransform): Float32Array {
  const out = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    let v = raw[i];
    if (transform === 'cp10k' || transform === 'log1p-cp10k') v = totals[i] > 0 ? (v / totals[i]) * 10_000 : 0;
    if (transform === 'log1p' || transform === 'log1p-cp10k') v = Math.log1p(v);
    out[i] = v;
  }
  return out;
}

/** The gene's column: symbol or Ensembl id, case-insensitive; -1 when absent. */
export function getGeneColumn(ds: Pick<StDataset, 'genes'>, query: string): number {
  return getGeneIndex(ds).find(query);
}

/** Display name of a gene column: "SYMBOL" or "SYMBOL (ENSG...)". */
export function getGeneLabel(ds: Pick<StDataset, 'genes'>, col: number): string {
  const s = ds.genes.symbols[col] ?? '';
  const id = ds.genes.ids[col] ?? '';
  return id && id !== s ? `${s} (${id})` : s || id;
}

export function getSpotValues(ds: StDataset, source: ColourSource, transform: DisplayTransform): SpotValues {
  const n = ds.spots.ids.length;
  switch (source.kind) {
    case 'uniform':
      return { kind: 'uniform', label: 'spots' };
    case 'gene': {
      const col = getGeneColumn(ds, source.gene);
      if (col < 0) {
        const reason = ds.genes.symbols.length === 0 ? 'these spots have no count matrix' : `${source.gene} is not among the ${ds.genes.symbols.length.toLocaleString('en-US')} genes`;
        return { kind: 'missing', label: source.gene, reason };
      }
      const raw = getCsrColumn(ds.matrix, col);
      return { kind: 'continuous', values: getTransformedCounts(raw, getSpotTotals(ds), transform), label: `${getGeneLabel(ds, col)} · ${TRANSFORM_LABEL[transform]}` };
    }
    case 'annotation': {
      const col = ds.spots.annotations[source.column];
      if (!col) return { kind: 'missing', label: source.column, reason: `no annotation column ${source.column}` };
      if (col.kind === 'categorical') return { kind: 'categorical', codes: col.codes, categories: col.categories, label: source.column };
      return { kind: 'continuous', values: Float32Array.from(col.values), label: source.column };
    }
    case 'score': {
      if (source.values.length !== n) return { kind: 'missing', label: source.label, reason: `${source.values.length} scores for ${n} spots` };
      return { kind: 'continuous', values: source.values, label: source.label, note: source.note };
    }
  }
}

/** Gene names matching a typed prefix/substring (symbols and Ensembl ids), prefix matches first. */
export function getGeneSuggestions(ds: Pick<StDataset, 'genes'>, query: string, limit = 12): { col: number; label: string }[] {
  const q = query.trim().toUpperCase();
  if (!q) return [];
  const prefix: number[] = [];
  const inner: number[] = [];
  const { symbols, ids } = ds.genes;
  for (let i = 0; i < symbols.length && prefix.length < limit; i++) {
    const s = symbols[i].toUpperCase();
    const id = (ids[i] ?? '').toUpperCase();
    if (s.startsWith(q) || id.startsWith(q)) prefix.push(i);
    else if (inner.length < limit && (s.includes(q) || id.includes(q))) inner.push(i);
  }
  prefix.sort((a, b) => symbols[a].length - symbols[b].length || (symbols[a] < symbols[b] ? -1 : 1));
  return [...prefix, ...inner].slice(0, limit).map((col) => ({ col, label: getGeneLabel(ds, col) }));
}
