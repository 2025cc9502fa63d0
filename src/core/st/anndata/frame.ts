/**
 * AnnData data frames (obs / var) on disk, all encodings seen from anndata 0.7 to 0.10:
 * a group with attr `_index` naming the index dataset; columns as datasets (numeric, boolean,
 * strings; anndata 0.7 categoricals: integer codes with an object-reference attribute `categories`
 * pointing at `__categories/<col>`, or older `uns/<col>_categories`), or as groups with
 * `encoding-type` categorical (codes + categories), nullable-integer / nullable-boolean
 * (values + mask), string-array.
 */
import type { Dataset, Group } from 'h5wasm';
import { getAnnotationColumn } from '../annotations.ts';
import { getH5, getH5Attr, getH5AttrString, getH5Dataset, getH5Group, isH5Dataset, isH5Group, readH5Numeric, readH5Strings } from '../hdf5/read.ts';
import type { AnnotationColumn } from '../types.ts';

export interface AnnDataFrame {
  index: string[];
  /** raw column values: strings or numbers (for names and gene columns) */
  columns: Map<string, AnnotationColumn>;
  /** the string columns as strings, for gene symbol/id lookups */
  strings: Map<string, string[]>;
}

function isStringDataset(ds: Dataset): boolean {
  const m = ds.metadata as { type?: number; vlen?: boolean };
  // h5wasm type classes: 3 = string
  return m.type === 3;
}

function readCategories(ds: Dataset): string[] {
  if (isStringDataset(ds)) return readH5Strings(ds, ds.path);
  return Array.from(readH5Numeric(ds, Float64Array, ds.path), (v) => String(v));
}

function categoricalFrom(codes: Int32Array, categories: string[]): AnnotationColumn {
  return { kind: 'categorical', categories, codes: codes.map((c) => (c >= 0 && c < categories.length ? c : -1)) };
}

function readColumn(frame: Group, name: string, root: Group): { col: AnnotationColumn; strings?: string[] } | null {
  const e = getH5(frame, name);
  if (isH5Group(e)) {
    const enc = getH5AttrString(e, 'encoding-type');
    if (enc === 'categorical') {
      const codesDs = getH5Dataset(e, 'codes');
      const catDs = getH5Dataset(e, 'categories');
      if (!codesDs || !catDs) return null;
      const cats = readCategories(catDs);
      const codes = readH5Numeric(codesDs, Int32Array, codesDs.path);
      return { col: categoricalFrom(codes, cats), strings: Array.from(codes, (c) => cats[c] ?? '') };
    }
    if (enc === 'nullable-integer' || enc === 'nullable-boolean' || enc === 'nullable-float') {
      const valDs = getH5Dataset(e, 'values');
      const maskDs = getH5Dataset(e, 'mask');
      if (!valDs) return null;
      const values = readH5Numeric(valDs, Float64Array, valDs.path);
      if (maskDs) {
        const mask = readH5Numeric(maskDs, Int32Array, maskDs.path);
        for (let i = 0; i < values.length; i++) if (mask[i]) values[i] = Number.NaN;
      }
      return { col: { kind: 'numeric', values } };
    }
    return null;
  }
  if (!isH5Dataset(e)) return null;
  const shape = e.shape ?? [];
  if (shape.length !== 1) return null;
  if (isStringDataset(e)) {
    const strings = readH5Strings(e, e.path);
    return { col: getAnnotationColumn(strings), strings };
  }
  // anndata 0.7: codes with a reference to the categories
  const ref = getH5Attr(e, 'categories');
  let cats: string[] | null = null;
  if (ref && typeof ref === 'object' && 'ref_data' in (ref as object)) {
    try {
      const target = e.dereference(ref as Parameters<Dataset['dereference']>[0]) as unknown;
      if (isH5Dataset(target as Dataset)) cats = readCategories(target as Dataset);
    } catch {
      cats = null;
    }
  }
  if (!cats) {
    const byName = getH5Dataset(frame, `__categories/${name}`) ?? getH5Dataset(root, `uns/${name}_categories`);
    if (byName) cats = readCategories(byName);
  }
  if (cats) {
    const codes = readH5Numeric(e, Int32Array, e.path);
    return { col: categoricalFrom(codes, cats), strings: Array.from(codes, (c) => cats[c] ?? '') };
  }
  return { col: { kind: 'numeric', values: readH5Numeric(e, Float64Array, e.path) } };
}

export function readAnnDataFrame(frame: Group, root: Group): AnnDataFrame {
  const indexName = getH5AttrString(frame, '_index') ?? (getH5Dataset(frame, '_index') ? '_index' : 'index');
  const indexDs = getH5Dataset(frame, indexName);
  const index = indexDs ? readH5Strings(indexDs, indexDs.path) : [];
  const columns = new Map<string, AnnotationColumn>();
  const strings = new Map<string, string[]>();
  const order = (getH5Attr(frame, 'column-order') as string[] | string | null) ?? null;
  const names = Array.isArray(order) ? order : typeof order === 'string' && order ? [order] : frame.keys();
  for (const name of names) {
    if (name === indexName || name === '__categories') continue;
    const c = readColumn(frame, name, root);
    if (!c) continue;
    columns.set(name, c.col);
    if (c.strings) strings.set(name, c.strings);
  }
  return { index, columns, strings };
}

/** A frame group (anndata >= 0.7); very old compound-dataset frames are not supported. */
export function getAnnDataFrameGroup(root: Group, path: string): Group | null {
  return getH5Group(root, path);
}
