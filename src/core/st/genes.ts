/** Gene tables and lookup by symbol or Ensembl id (case-insensitive, first column wins for duplicates). */
import { getCsrColumn } from './matrix.ts';
import type { GeneTable, StDataset } from './types.ts';

const ENSEMBL = /^ENS[A-Z]*G\d{6,}(\.\d+)?$/i;

export function isEnsemblId(s: string): boolean {
  return ENSEMBL.test(s);
}

/**
 * A GeneTable from per-column symbols and ids. Duplicated symbols are kept as columns (the matrix is
 * not changed); lookups by symbol use the first column; each appears in `duplicates` as
 * `TTTY14 (2 columns)` and one summary warning is returned.
 */
export function getGeneTable(symbols: string[], ids: string[]): { genes: GeneTable; warnings: string[] } {
  const seen = new Map<string, number>();
  for (const s of symbols) {
    const k = s.toUpperCase();
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  const duplicates: string[] = [];
  const reported = new Set<string>();
  for (const s of symbols) {
    const k = s.toUpperCase();
    const n = seen.get(k) ?? 0;
    if (n > 1 && !reported.has(k)) {
      reported.add(k);
      duplicates.push(`${s} (${n} columns)`);
    }
  }
  const warnings: string[] = [];
  if (duplicates.length) {
    const shown = duplicates.slice(0, 5).join(', ');
    warnings.push(
      `${duplicates.length} gene symbol${duplicates.length > 1 ? 's occur' : ' occurs'} in more than one column: ${shown}${duplicates.length > 5 ? ', ...' : ''}; a lookup by symbol uses the first column (use the Ensembl id for the others).`,
    );
  }
  return { genes: { symbols, ids, duplicates }, warnings };
}

export interface GeneIndex {
  /** column of a gene symbol or Ensembl id (case-insensitive; version suffix optional), or -1 */
  find(query: string): number;
  /** symbols (first spelling) in column order, for autocompletion */
  readonly symbols: readonly string[];
}

const indexCache = new WeakMap<GeneTable, GeneIndex>();

/** Lookup table over a dataset's genes (built once per GeneTable and cached). */
export function getGeneIndex(dataset: Pick<StDataset, 'genes'>): GeneIndex {
  const genes = dataset.genes;
  const cached = indexCache.get(genes);
  if (cached) return cached;
  const bySymbol = new Map<string, number>();
  const byId = new Map<string, number>();
  genes.symbols.forEach((s, i) => {
    const k = s.toUpperCase();
    if (!bySymbol.has(k)) bySymbol.set(k, i);
  });
  genes.ids.forEach((id, i) => {
    if (!id) return;
    const k = id.toUpperCase();
    if (!byId.has(k)) byId.set(k, i);
    const base = k.replace(/\.\d+$/, '');
    if (!byId.has(base)) byId.set(base, i);
  });
  const index: GeneIndex = {
    symbols: genes.symbols,
    find(query: string): number {
      const k = query.trim().toUpperCase();
      if (!k) return -1;
      return bySymbol.get(k) ?? byId.get(k) ?? byId.get(k.replace(/\.\d+$/, '')) ?? -1;
    },
  };
  indexCache.set(genes, index);
  return index;
}

/** Raw counts of one gene (symbol or Ensembl id) per spot, in spot order; null when the gene is absent. */
export function getGeneValues(dataset: Pick<StDataset, 'genes' | 'matrix'>, gene: string): Float32Array | null {
  const col = getGeneIndex(dataset).find(gene);
  if (col < 0) return null;
  return getCsrColumn(dataset.matrix, col);
}
