/**
 * 10x Genomics feature-barcode matrix HDF5 (filtered_feature_bc_matrix.h5 / raw_...): matrix format
 * version 2 (Cell Ranger >= 3, Space Ranger 1-3): /matrix/{barcodes, data, indices, indptr, shape,
 * features/{id, name, feature_type, ...}}, compressed sparse columns with one column per barcode,
 * i.e. exactly CSR for spots x features. Also the Cell Ranger 2 layout /<genome>/{barcodes, data,
 * indices, indptr, shape, genes, gene_names}. Only 'Gene Expression' features are kept.
 */
import type { Group } from 'h5wasm';
import { getCanonicalCsr, getCsrColumns } from '../matrix.ts';
import {
  expectLength,
  getH5AttrString,
  getH5Dataset,
  getH5Group,
  getH5Shape,
  type ReadProgress,
  readH5Numeric,
  readH5Strings,
} from '../hdf5/read.ts';
import { StError, type CsrMatrix } from '../types.ts';

export interface TenxMatrix {
  matrix: CsrMatrix;
  barcodes: string[];
  symbols: string[];
  ids: string[];
  /** features dropped because their feature_type is not 'Gene Expression', by type */
  droppedFeatures: Record<string, number>;
  layout: 'v3' | 'v2';
  softwareVersion: string;
}

/** The matrix group of a 10x h5 (v3 '/matrix' or v2 '/<genome>'), or null when it is not one. */
export function getTenxMatrixGroup(root: Group): { group: Group; layout: 'v3' | 'v2' } | null {
  const m = getH5Group(root, 'matrix');
  if (m && getH5Dataset(m, 'indptr') && getH5Group(m, 'features')) return { group: m, layout: 'v3' };
  for (const k of root.keys()) {
    const g = getH5Group(root, k);
    if (g && getH5Dataset(g, 'indptr') && getH5Dataset(g, 'barcodes') && getH5Dataset(g, 'genes')) return { group: g, layout: 'v2' };
  }
  return null;
}

export function readTenxH5(root: Group, label: string, progress: ReadProgress = {}): TenxMatrix {
  const found = getTenxMatrixGroup(root);
  if (!found) throw new StError(label, 'is not a 10x feature-barcode matrix (no /matrix group with indptr and features).', '');
  const { group, layout } = found;
  const need = (name: string) => {
    const ds = getH5Dataset(group, name);
    if (!ds) throw new StError(label, `has no ${group.path}/${name} dataset.`, 'The 10x matrix file is incomplete.');
    return ds;
  };
  const shapeDs = need('shape');
  const shape = readH5Numeric(shapeDs, Float64Array, `${label} ${group.path}/shape`);
  const nFeatures = shape[0];
  const nBarcodes = shape[1];
  const barcodes = readH5Strings(need('barcodes'), `${label} barcodes`);
  if (barcodes.length !== nBarcodes) throw new StError(label, `lists ${barcodes.length} barcodes but its shape says ${nBarcodes}.`, 'The file is inconsistent.');
  let symbols: string[];
  let ids: string[];
  let types: string[] | null = null;
  if (layout === 'v3') {
    const f = getH5Group(group, 'features');
    if (!f) throw new StError(label, 'has no /matrix/features group.', '');
    const nameDs = getH5Dataset(f, 'name');
    const idDs = getH5Dataset(f, 'id');
    if (!nameDs || !idDs) throw new StError(label, 'has no /matrix/features/name or id dataset.', 'The 10x matrix file is incomplete.');
    symbols = readH5Strings(nameDs, `${label} features/name`);
    ids = readH5Strings(idDs, `${label} features/id`);
    const typeDs = getH5Dataset(f, 'feature_type');
    types = typeDs ? readH5Strings(typeDs, `${label} features/feature_type`) : null;
  } else {
    ids = readH5Strings(need('genes'), `${label} genes`);
    const names = getH5Dataset(group, 'gene_names');
    symbols = names ? readH5Strings(names, `${label} gene_names`) : ids.slice();
  }
  if (symbols.length !== nFeatures) throw new StError(label, `lists ${symbols.length} features but its shape says ${nFeatures}.`, 'The file is inconsistent.');

  const indptrDs = need('indptr');
  expectLength(indptrDs, nBarcodes + 1, `${label} ${group.path}/indptr`);
  const indptr64 = readH5Numeric(indptrDs, Float64Array, `${label} indptr`);
  const nnz = indptr64[nBarcodes];
  const indptr = nnz < 2 ** 31 ? Int32Array.from(indptr64) : indptr64;
  const dataDs = need('data');
  const indicesDs = need('indices');
  if (getH5Shape(dataDs)[0] < nnz || getH5Shape(indicesDs)[0] < nnz) {
    throw new StError(label, `has fewer stored values than indptr says (${nnz}).`, 'The file is truncated or inconsistent.');
  }
  const p0 = progress.onChunk;
  const data = readH5Numeric(dataDs, Float32Array, `${label} data`, { signal: progress.signal, onChunk: (f) => p0?.(f * 0.4) });
  const indices = readH5Numeric(indicesDs, Int32Array, `${label} indices`, { signal: progress.signal, onChunk: (f) => p0?.(0.4 + f * 0.6) });
  let matrix: CsrMatrix = getCanonicalCsr({
    nRows: nBarcodes,
    nCols: nFeatures,
    indptr,
    indices: indices.length > nnz ? indices.subarray(0, nnz) : indices,
    data: data.length > nnz ? data.subarray(0, nnz) : data,
  });

  const droppedFeatures: Record<string, number> = {};
  if (types?.some((t) => t !== 'Gene Expression')) {
    const keep = new Uint8Array(nFeatures);
    for (let i = 0; i < nFeatures; i++) {
      if (types[i] === 'Gene Expression') keep[i] = 1;
      else droppedFeatures[types[i]] = (droppedFeatures[types[i]] ?? 0) + 1;
    }
    matrix = getCsrColumns(matrix, keep);
    symbols = symbols.filter((_, i) => keep[i]);
    ids = ids.filter((_, i) => keep[i]);
  }
  return {
    matrix,
    barcodes,
    symbols,
    ids,
    droppedFeatures,
    layout,
    softwareVersion: getH5AttrString(root, 'software_version') ?? '',
  };
}
