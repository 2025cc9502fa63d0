/**
 * 10x Genomics feature-barcode matrix HDF5 (filtered_feature_bc_matrix.h5 / raw_...): matrix format
 * version 2 (Cell Ranger >= 3, Space Ranger 1-3): /matrix/{barcodes, data, indices, indptr, shape,
 * features/{id, name, feature_type, ...}}, compressed sparse columns with one column per barcode,
 * i.e. exactly CSR for spots x features. Also the Cell Ranger 2 layout /<genome>/{barcodes, data,
 * indices, indptr, shape, genes, gene_names}. Only 'Gene Expression' features are kept.
 */
import type { Dataset, Group } from 'h5wasm';
import { createIndptr, getCanonicalCsr, getCsrColumns } from '../matrix.ts';
import {
  expectLength,
  getH5AttrString,
  getH5Dataset,
  getH5Group,
  getH5Shape,
  type ReadProgress,
  readH5Numeric,
  readH5RangeInto,
  readH5Strings,
  throwIfAborted,
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

/**
 * Barcodes summed into fewer rows while the matrix is read (Visium HD bins into larger squares):
 * `rowOf[b]` is barcode b's output row, or -1 to leave it out. Only the summed matrix is ever held.
 */
export interface TenxRowSum {
  rowOf: Int32Array;
  nRows: number;
  /** output rows per block (default: as many as a 64 MB accumulator holds); tests set it small */
  blockRows?: number;
}

/** at most this many accumulator cells (float32) per block of output rows: 64 MB */
const SUM_BLOCK_CELLS = 1 << 24;
/** at most this many stored values per read (unless one barcode has more): 8 MB of buffers */
const SUM_READ_VALUES = 1 << 20;

/**
 * The summed matrix, read block by block: the output rows are taken in blocks whose dense
 * accumulator (rows x features) fits SUM_BLOCK_CELLS; a block's member barcodes are read as runs
 * of consecutive barcodes (Space Ranger sorts them by array row, then column, so a block of bins
 * is a few runs), their counts added in, and the block's non-zero cells emitted in row-major order
 * (a canonical CSR: sorted columns, no duplicates).
 */
function readSummedRows(dataDs: Dataset, indicesDs: Dataset, indptr: Float64Array, nFeatures: number, sum: TenxRowSum, label: string, progress: ReadProgress): CsrMatrix {
  const { rowOf, nRows } = sum;
  const members = Int32Array.from({ length: rowOf.length }, (_, b) => b)
    .filter((b) => rowOf[b] >= 0)
    .sort((a, b) => rowOf[a] - rowOf[b] || a - b);
  const blockRows = sum.blockRows ?? Math.max(1, Math.floor(SUM_BLOCK_CELLS / Math.max(1, nFeatures)));
  const acc = new Float32Array(Math.min(nRows, blockRows) * nFeatures);
  const seen = new Uint8Array(acc.length);
  let touched = new Int32Array(1 << 16);
  // the sum stores at most what was read, and at most every cell: allocated once when that is known small
  const bound = Math.min(indptr[indptr.length - 1], nRows * nFeatures);
  let outIdx = new Int32Array(bound <= 1 << 27 ? bound : 1 << 20);
  let outVal = new Float32Array(outIdx.length);
  let nnz = 0;
  const indptrOut = createIndptr(nRows, 0);
  let rowsDone = 0;
  let readBuf = { data: new Float32Array(0), indices: new Int32Array(0) };
  const nnzIn = indptr[indptr.length - 1];
  let nnzRead = 0;
  for (let k = 0; k < members.length; ) {
    throwIfAborted(progress.signal);
    const r0 = rowOf[members[k]];
    const rEnd = Math.min(nRows, r0 + blockRows);
    let k2 = k;
    while (k2 < members.length && rowOf[members[k2]] < rEnd) k2++;
    const block = members.slice(k, k2).sort();
    let nTouched = 0;
    for (let i = 0; i < block.length; ) {
      // a run of consecutive barcodes, at most SUM_READ_VALUES stored values (or one barcode)
      let j = i + 1;
      while (j < block.length && block[j] === block[j - 1] + 1 && indptr[block[j] + 1] - indptr[block[i]] <= SUM_READ_VALUES) j++;
      const p0 = indptr[block[i]];
      const p1 = indptr[block[j - 1] + 1];
      const n = p1 - p0;
      if (readBuf.data.length < n) readBuf = { data: new Float32Array(n), indices: new Int32Array(n) };
      readH5RangeInto(dataDs, p0, p1, readBuf.data, `${label} data`);
      readH5RangeInto(indicesDs, p0, p1, readBuf.indices, `${label} indices`);
      for (let q = i; q < j; q++) {
        const b = block[q];
        const base = (rowOf[b] - r0) * nFeatures;
        for (let p = indptr[b] - p0; p < indptr[b + 1] - p0; p++) {
          const g = readBuf.indices[p];
          if (g < 0 || g >= nFeatures) throw new StError(label, `has a feature index ${g} outside 0-${nFeatures - 1}.`, 'The file is inconsistent.');
          const cell = base + g;
          if (!seen[cell]) {
            seen[cell] = 1;
            if (nTouched === touched.length) {
              const t = new Int32Array(touched.length * 2);
              t.set(touched);
              touched = t;
            }
            touched[nTouched++] = cell;
          }
          acc[cell] += readBuf.data[p];
        }
      }
      nnzRead += n;
      progress.onChunk?.(Math.min(1, nnzRead / Math.max(1, nnzIn)));
      i = j;
    }
    const cells = touched.subarray(0, nTouched).sort();
    if (nnz + nTouched > outIdx.length) {
      const cap = Math.max(Math.ceil(outIdx.length * 1.5), nnz + nTouched);
      const oi = new Int32Array(cap);
      oi.set(outIdx.subarray(0, nnz));
      const ov = new Float32Array(cap);
      ov.set(outVal.subarray(0, nnz));
      outIdx = oi;
      outVal = ov;
    }
    let c = 0;
    for (let r = r0; r < rEnd; r++) {
      const rowEnd = (r - r0 + 1) * nFeatures;
      while (c < nTouched && cells[c] < rowEnd) {
        const cell = cells[c++];
        if (acc[cell] !== 0) {
          outIdx[nnz] = cell - (r - r0) * nFeatures;
          outVal[nnz++] = acc[cell];
        }
        acc[cell] = 0;
        seen[cell] = 0;
      }
      indptrOut[r + 1] = nnz;
    }
    // rows without members (none here: every output row has one) keep the running count
    for (let r = rowsDone + 1; r <= r0; r++) indptrOut[r] = indptrOut[rowsDone];
    rowsDone = rEnd;
    k = k2;
  }
  for (let r = rowsDone + 1; r <= nRows; r++) indptrOut[r] = indptrOut[rowsDone];
  if (nnz >= 2 ** 31) throw new StError(label, 'sums into more than 2^31 stored values.', 'Sum the bins into larger squares.');
  // a copy only when much of the buffers is unused (a copy is a second transient output)
  const trimmed = <T extends Int32Array | Float32Array>(a: T): T => (nnz >= 0.75 * a.length ? (a.subarray(0, nnz) as T) : (a.slice(0, nnz) as T));
  return { nRows, nCols: nFeatures, indptr: indptrOut, indices: trimmed(outIdx), data: trimmed(outVal) };
}

/**
 * Read a 10x matrix. `sumRows`, given the file's barcodes, says how to sum them into fewer rows
 * (see TenxRowSum); the full matrix is then never held.
 */
export function readTenxH5(root: Group, label: string, progress: ReadProgress = {}, sumRows?: (barcodes: string[]) => TenxRowSum): TenxMatrix {
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
  let matrix: CsrMatrix;
  const sum = sumRows?.(barcodes);
  if (sum) {
    if (sum.rowOf.length !== nBarcodes) throw new Error(`readTenxH5: ${sum.rowOf.length} row assignments for ${nBarcodes} barcodes`);
    matrix = readSummedRows(dataDs, indicesDs, indptr64, nFeatures, sum, label, progress);
  } else {
    const data = readH5Numeric(dataDs, Float32Array, `${label} data`, { signal: progress.signal, onChunk: (f) => p0?.(f * 0.4) });
    const indices = readH5Numeric(indicesDs, Int32Array, `${label} indices`, { signal: progress.signal, onChunk: (f) => p0?.(0.4 + f * 0.6) });
    matrix = getCanonicalCsr({
      nRows: nBarcodes,
      nCols: nFeatures,
      indptr,
      indices: indices.length > nnz ? indices.subarray(0, nnz) : indices,
      data: data.length > nnz ? data.subarray(0, nnz) : data,
    });
  }

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
