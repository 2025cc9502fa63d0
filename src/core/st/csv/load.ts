/**
 * Generic delimited tables (comma, tab or semicolon; gzipped or not):
 *  - wide: one row per spot with an id, x, y (slide level-0 pixels) and one column per gene;
 *  - long: one row per (spot, gene, count), with x, y in the same table or in a separate
 *    positions table (id, x, y).
 * Header names: id `spot_id|barcode|id|spot`, x `x|pixel_x|imagecol|pxl_col_in_fullres`,
 * y `y|pixel_y|imagerow|pxl_row_in_fullres`; optional `in_tissue`, `diameter`, and annotation
 * columns (`label`, `annotation`, `region`, `cluster`, `cell_type`, ...).
 */
import { getAnnotationColumn } from '../annotations.ts';
import { getAssembledDataset } from '../assemble.ts';
import type { StClassifiedFile, StFileSet } from '../file-set.ts';
import type { StFormat } from '../format.ts';
import { getGeneTable } from '../genes.ts';
import { throwIfAborted } from '../hdf5/read.ts';
import { getCsrFromTriplets } from '../matrix.ts';
import { findColumn, getDelimiter, getHeaderKeys, loadTextHead, loadTextLines, splitFields } from '../text/delimited.ts';
import { getWideCounts } from '../text/wide.ts';
import { type AnnotationColumn, StError } from '../types.ts';

const ID = ['spot_id', 'barcode', 'barcodes', 'id', 'spot', 'spot_name', 'cell_id', ''];
const X = ['x', 'pixel_x', 'imagecol', 'pxl_col_in_fullres', 'x_px', 'x_pixel', 'x_centroid'];
const Y = ['y', 'pixel_y', 'imagerow', 'pxl_row_in_fullres', 'y_px', 'y_pixel', 'y_centroid'];
const GENE = ['gene', 'gene_name', 'gene_symbol', 'symbol', 'feature', 'feature_name', 'gene_id'];
const COUNT = ['count', 'counts', 'value', 'umi', 'umis', 'n', 'expression'];
const IN_TISSUE = ['in_tissue', 'selected', 'tissue'];
const DIAMETER = ['diameter', 'diameter_px', 'spot_diameter', 'spot_diameter_px'];
const ANNOTATION = ['label', 'labels', 'annotation', 'region', 'cluster', 'cell_type', 'celltype', 'pathology', 'class', 'tissue_type', 'sample', 'array_row', 'array_col'];

interface TableHead {
  item: StClassifiedFile;
  keys: string[];
  delimiter: string;
  kind: 'wide' | 'long' | 'positions' | 'other';
}

async function loadHead(item: StClassifiedFile): Promise<TableHead | null> {
  if (item.file.size === 0) return { item, keys: [], delimiter: ',', kind: 'other' };
  try {
    const lines = await loadTextHead(item.file);
    let d = ',';
    try {
      d = getDelimiter(lines, item.label);
    } catch {
      return { item, keys: [lines[0] ?? ''], delimiter: ',', kind: 'other' };
    }
    const keys = getHeaderKeys(splitFields(lines[0], d));
    const hasXY = findColumn(keys, X) >= 0 && findColumn(keys, Y) >= 0;
    const isLong = findColumn(keys, GENE) >= 0 && findColumn(keys, COUNT) >= 0;
    const kind = isLong ? 'long' : hasXY ? (keys.length > 3 + (findColumn(keys, IN_TISSUE) >= 0 ? 1 : 0) + (findColumn(keys, DIAMETER) >= 0 ? 1 : 0) ? 'wide' : 'positions') : 'other';
    return { item, keys, delimiter: d, kind };
  } catch {
    return null;
  }
}

async function loadHeads(set: StFileSet): Promise<TableHead[]> {
  const out: TableHead[] = [];
  for (const item of set.of('table')) {
    const h = await loadHead(item);
    if (h) out.push(h);
  }
  return out;
}

function idColumn(keys: string[]): number {
  const i = findColumn(keys, ID);
  return Math.max(i , 0);
}

export const csvFormat: StFormat = {
  id: 'csv',
  async detect(set) {
    const heads = await loadHeads(set);
    if (heads.some((h) => h.kind === 'wide' || h.kind === 'long')) return 5;
    // a lone table: the CSV loader gives the clearest error about what it lacks
    return set.of('table').length ? 1 : 0;
  },
  async load(set, opts, progress) {
    const heads = await loadHeads(set);
    const main = heads.find((h) => h.kind === 'wide') ?? heads.find((h) => h.kind === 'long');
    if (!main) {
      const first = set.of('table')[0];
      if (!first) throw new StError('ST files', 'contain no count matrix FuseScope recognises.', 'Drop a Space Ranger outs/ folder, an .h5ad, a legacy ST counts + selection pair, or a CSV with spot_id, x, y and gene columns.');
      if (first.file.size === 0) throw new StError(first.label, 'is empty.', 'Export the table again; the file has no content.');
      const lines = await loadTextLines(first.file);
      const d = getDelimiter(lines, first.label);
      const keys = getHeaderKeys(splitFields(lines[0], d));
      if (findColumn(keys, X) < 0 || findColumn(keys, Y) < 0) {
        throw new StError(
          first.label,
          `has no x / y columns (header: ${keys.slice(0, 8).join(', ')}${keys.length > 8 ? ', ...' : ''}), so the spots have no spatial coordinates.`,
          'Add columns x and y (spot centres in slide pixels), or drop the positions file with it.',
        );
      }
      throw new StError(first.label, 'holds positions but no gene columns or (spot, gene, count) rows.', 'Add the counts: one column per gene, or a long table spot, gene, count.');
    }
    const files: { name: string; role: string }[] = [];
    const warnings: string[] = [];
    const label = main.item.label;
    progress.report(0.05, `Reading ${label}`);
    const lines = await loadTextLines(main.item.file);
    const d = main.delimiter;
    const keys = main.keys;
    const header = splitFields(lines[0], d).map((h) => h.trim().replace(/^"|"$/g, ''));
    const body = lines.slice(1).filter((l) => l.trim() !== '');
    const annotations: Record<string, AnnotationColumn> = {};
    let diameterColumnPx: number | undefined;

    const readSpotColumns = (rows: string[][], head: string[], k: string[]) => {
      const ic = idColumn(k);
      const xc = findColumn(k, X);
      const yc = findColumn(k, Y);
      const tc = findColumn(k, IN_TISSUE);
      const dc = findColumn(k, DIAMETER);
      const ids = rows.map((r) => (r[ic] ?? '').trim().replace(/^"|"$/g, ''));
      const x = Float64Array.from(rows, (r) => Number(r[xc]));
      const y = Float64Array.from(rows, (r) => Number(r[yc]));
      const bad = ids.findIndex((_, i) => !Number.isFinite(x[i]) || !Number.isFinite(y[i]));
      if (bad >= 0) throw new StError(label, `row ${bad + 2} (${ids[bad]}) has a non-numeric x or y.`, 'x and y must be numbers (slide pixels).');
      const inTissue = tc >= 0 ? Uint8Array.from(rows, (r) => (Number(r[tc]) ? 1 : 0)) : new Uint8Array(rows.length).fill(1);
      if (dc >= 0) {
        const ds = rows.map((r) => Number(r[dc])).filter(Number.isFinite);
        if (ds.length) diameterColumnPx = ds.sort((a, b) => a - b)[ds.length >> 1];
      }
      k.forEach((name, c) => {
        if (ANNOTATION.includes(name)) annotations[head[c]] = getAnnotationColumn(rows.map((r) => r[c] ?? null));
      });
      return { ids, x, y, inTissue, used: new Set([ic, xc, yc, tc, dc].filter((c) => c >= 0)) };
    };

    if (main.kind === 'wide') {
      // spot columns come first in the usual layout, but any order works: split the table
      const rows = body.map((l) => splitFields(l, d));
      const spots = readSpotColumns(rows, header, keys);
      const geneCols: number[] = [];
      keys.forEach((k, c) => {
        if (!spots.used.has(c) && !ANNOTATION.includes(k)) geneCols.push(c);
      });
      const contiguous = geneCols.every((c, i) => c === geneCols[0] + i) && geneCols[geneCols.length - 1] === header.length - 1;
      let matrix: ReturnType<typeof getWideCounts>['matrix'];
      if (contiguous && !body.some((l) => l.includes('"'))) {
        matrix = getWideCounts(body, d, geneCols[0], geneCols.map((c) => header[c]), label, (l) => l.split(d, 1)[0], progress.signal).matrix;
      } else {
        const gl = rows.map((r) => geneCols.map((c) => r[c] ?? '').join(d));
        matrix = getWideCounts(gl, d, 0, geneCols.map((c) => header[c]), label, () => '', progress.signal).matrix;
      }
      files.push({ name: label, role: `wide table (${spots.ids.length} spots x ${geneCols.length} genes; x, y in slide pixels)` });
      const { genes, warnings: gw } = getGeneTable(geneCols.map((c) => header[c]), geneCols.map(() => ''));
      warnings.push(...gw);
      return getAssembledDataset(
        {
          platform: 'csv',
          format: 'csv-wide',
          matrix,
          genes,
          ids: spots.ids,
          x: spots.x,
          y: spots.y,
          inTissue: spots.inTissue,
          annotations,
          files,
          warnings,
          frameScales: {},
          frameSource: { file: label, kind: 'none' },
          diameterColumnPx,
          images: [],
        },
        opts,
      );
    }

    // long table
    const sc = idColumn(keys);
    const gc = findColumn(keys, GENE);
    const cc = findColumn(keys, COUNT);
    const posHead = heads.find((h) => h.kind === 'positions');
    let spots: ReturnType<typeof readSpotColumns>;
    const longRows = body.map((l) => splitFields(l, d));
    if (findColumn(keys, X) >= 0 && findColumn(keys, Y) >= 0) {
      const firstOf = new Map<string, string[]>();
      for (const r of longRows) {
        const id = (r[sc] ?? '').trim();
        if (!firstOf.has(id)) firstOf.set(id, r);
      }
      spots = readSpotColumns([...firstOf.values()], header, keys);
    } else if (posHead) {
      const pl = await loadTextLines(posHead.item.file);
      const ph = splitFields(pl[0], posHead.delimiter).map((h) => h.trim().replace(/^"|"$/g, ''));
      spots = readSpotColumns(pl.slice(1).filter((l) => l.trim()).map((l) => splitFields(l, posHead.delimiter)), ph, posHead.keys);
      files.push({ name: posHead.item.label, role: 'spot positions (x, y in slide pixels)' });
    } else {
      throw new StError(label, 'is a long (spot, gene, count) table without x / y columns, and no positions table was given (no spatial coordinates).', 'Add x and y columns, or drop a positions CSV (spot_id, x, y) with it.');
    }
    const spotIndex = new Map(spots.ids.map((id, i) => [id, i]));
    const geneIndex = new Map<string, number>();
    const symbols: string[] = [];
    const n = longRows.length;
    const rows = new Int32Array(n);
    const cols = new Int32Array(n);
    const vals = new Float32Array(n);
    let k = 0;
    const unplaced = new Set<string>();
    for (let i = 0; i < n; i++) {
      if ((i & 8191) === 0) throwIfAborted(progress.signal);
      const r = longRows[i];
      const id = (r[sc] ?? '').trim();
      const v = Number(r[cc]);
      if (!Number.isFinite(v)) throw new StError(label, `row ${i + 2} (${id}): count "${(r[cc] ?? '').slice(0, 30)}" is not a number.`, 'The count column must hold numbers.');
      const s = spotIndex.get(id);
      if (s === undefined) {
        unplaced.add(id);
        continue;
      }
      const g = (r[gc] ?? '').trim();
      let gi = geneIndex.get(g);
      if (gi === undefined) {
        gi = symbols.length;
        geneIndex.set(g, gi);
        symbols.push(g);
      }
      rows[k] = s;
      cols[k] = gi;
      vals[k++] = v;
    }
    if (unplaced.size) warnings.push(`Partial load: ${unplaced.size} spots of ${label} have no position and were left out (e.g. ${[...unplaced].slice(0, 3).join(', ')}).`);
    const matrix = getCsrFromTriplets(spots.ids.length, symbols.length, rows, cols, vals, k);
    if (matrix.indices.length < k) warnings.push(`${label}: repeated (spot, gene) rows were summed.`);
    files.unshift({ name: label, role: `long table (${k} spot-gene counts, ${symbols.length} genes)` });
    const { genes, warnings: gw } = getGeneTable(symbols, symbols.map(() => ''));
    warnings.push(...gw);
    return getAssembledDataset(
      {
        platform: 'csv',
        format: 'csv-long',
        matrix,
        genes,
        ids: spots.ids,
        x: spots.x,
        y: spots.y,
        inTissue: spots.inTissue,
        annotations,
        files,
        warnings,
        frameScales: {},
        frameSource: { file: posHead?.item.label ?? label, kind: 'none' },
        diameterColumnPx,
        images: [],
      },
      opts,
    );
  },
};
