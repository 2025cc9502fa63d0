/** Sparse spots x genes matrices (CSR) for the ST model: building, subsetting, column reads. */
import type { CsrMatrix } from './types.ts';

export type Indptr = Int32Array | Float64Array;

export function createIndptr(n: number, nnz: number): Indptr {
  return nnz < 2 ** 31 ? new Int32Array(n + 1) : new Float64Array(n + 1);
}

/** CSR from coordinate triplets (rows, cols, values); duplicate (row, col) entries are summed. */
export function getCsrFromTriplets(
  nRows: number,
  nCols: number,
  rows: Int32Array,
  cols: Int32Array,
  vals: Float32Array | Float64Array,
  nnz = rows.length,
): CsrMatrix {
  const counts = new Float64Array(nRows + 1);
  for (let i = 0; i < nnz; i++) counts[rows[i] + 1]++;
  const indptr = createIndptr(nRows, nnz);
  for (let r = 0; r < nRows; r++) indptr[r + 1] = indptr[r] + counts[r + 1];
  const next = Float64Array.from(indptr.subarray(0, nRows));
  const indices = new Int32Array(nnz);
  const data = new Float32Array(nnz);
  for (let i = 0; i < nnz; i++) {
    const p = next[rows[i]]++;
    indices[p] = cols[i];
    data[p] = vals[i];
  }
  return getCanonicalCsr({ nRows, nCols, indptr, indices, data });
}

/**
 * Column indices ascending within each row, duplicates summed, explicit zeros dropped
 * (in place when nothing needs to change; a compacted copy otherwise).
 */
export function getCanonicalCsr(m: CsrMatrix): CsrMatrix {
  const { nRows, indptr, indices, data } = m;
  let clean = true;
  for (let r = 0; r < nRows && clean; r++) {
    const a = indptr[r];
    const b = indptr[r + 1];
    for (let p = a; p < b; p++) {
      if (data[p] === 0 || (p > a && indices[p] <= indices[p - 1])) {
        clean = false;
        break;
      }
    }
  }
  if (clean) return m;
  const newIndptr = createIndptr(nRows, indices.length);
  const outIdx = new Int32Array(indices.length);
  const outVal = new Float32Array(indices.length);
  let w = 0;
  const order: number[] = [];
  for (let r = 0; r < nRows; r++) {
    const a = indptr[r];
    const b = indptr[r + 1];
    order.length = 0;
    for (let p = a; p < b; p++) order.push(p);
    order.sort((x, y) => indices[x] - indices[y]);
    let lastCol = -1;
    for (const p of order) {
      if (indices[p] === lastCol) {
        outVal[w - 1] += data[p];
      } else {
        outIdx[w] = indices[p];
        outVal[w] = data[p];
        w++;
        lastCol = indices[p];
      }
    }
    // drop zeros
    let k = newIndptr[r];
    for (let q = newIndptr[r]; q < w; q++) {
      if (outVal[q] !== 0) {
        outIdx[k] = outIdx[q];
        outVal[k] = outVal[q];
        k++;
      }
    }
    w = k;
    newIndptr[r + 1] = w;
  }
  return { nRows, nCols: m.nCols, indptr: newIndptr, indices: outIdx.slice(0, w), data: outVal.slice(0, w) };
}

/** Rows `rows` (in that order) of a CSR matrix; returns the input itself when rows is 0..n-1. */
export function getCsrRows(m: CsrMatrix, rows: Int32Array): CsrMatrix {
  if (rows.length === m.nRows && rows.every((r, i) => r === i)) return m;
  let nnz = 0;
  for (const r of rows) nnz += m.indptr[r + 1] - m.indptr[r];
  const indptr = createIndptr(rows.length, nnz);
  const indices = new Int32Array(nnz);
  const data = new Float32Array(nnz);
  let w = 0;
  for (let i = 0; i < rows.length; i++) {
    const a = m.indptr[rows[i]];
    const b = m.indptr[rows[i] + 1];
    indices.set(m.indices.subarray(a, b), w);
    data.set(m.data.subarray(a, b), w);
    w += b - a;
    indptr[i + 1] = w;
  }
  return { nRows: rows.length, nCols: m.nCols, indptr, indices, data };
}

/** Keep the columns where `keep[c]` is 1, renumbered in order (in place over the index/data arrays). */
export function getCsrColumns(m: CsrMatrix, keep: Uint8Array): CsrMatrix {
  const remap = new Int32Array(m.nCols).fill(-1);
  let nCols = 0;
  for (let c = 0; c < m.nCols; c++) if (keep[c]) remap[c] = nCols++;
  if (nCols === m.nCols) return m;
  const indptr = createIndptr(m.nRows, m.indices.length);
  let w = 0;
  for (let r = 0; r < m.nRows; r++) {
    for (let p = m.indptr[r]; p < m.indptr[r + 1]; p++) {
      const c = remap[m.indices[p]];
      if (c >= 0) {
        m.indices[w] = c;
        m.data[w] = m.data[p];
        w++;
      }
    }
    indptr[r + 1] = w;
  }
  return { nRows: m.nRows, nCols, indptr, indices: m.indices.slice(0, w), data: m.data.slice(0, w) };
}

/** Transpose compressed storage: CSC (nRows x nCols, pointers over columns) -> CSR. */
export function getCsrFromCsc(nRows: number, nCols: number, colptr: Indptr, rowIdx: Int32Array, vals: Float32Array): CsrMatrix {
  const nnz = rowIdx.length;
  const counts = new Float64Array(nRows + 1);
  for (let i = 0; i < nnz; i++) counts[rowIdx[i] + 1]++;
  const indptr = createIndptr(nRows, nnz);
  for (let r = 0; r < nRows; r++) indptr[r + 1] = indptr[r] + counts[r + 1];
  const next = Float64Array.from(indptr.subarray(0, nRows));
  const indices = new Int32Array(nnz);
  const data = new Float32Array(nnz);
  for (let c = 0; c < nCols; c++) {
    for (let p = colptr[c]; p < colptr[c + 1]; p++) {
      const q = next[rowIdx[p]]++;
      indices[q] = c;
      data[q] = vals[p];
    }
  }
  return getCanonicalCsr({ nRows, nCols, indptr, indices, data });
}

/** One column (gene) as a dense vector over rows (spots). */
export function getCsrColumn(m: CsrMatrix, col: number): Float32Array {
  const out = new Float32Array(m.nRows);
  const { indptr, indices, data } = m;
  for (let r = 0; r < m.nRows; r++) {
    let lo = indptr[r];
    let hi = indptr[r + 1] - 1;
    // indices are sorted within a row: binary search
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = indices[mid];
      if (c === col) {
        out[r] = data[mid];
        break;
      }
      if (c < col) lo = mid + 1;
      else hi = mid - 1;
    }
  }
  return out;
}

/** Sum of each row (total counts per spot). */
export function getCsrRowSums(m: CsrMatrix): Float64Array {
  const out = new Float64Array(m.nRows);
  for (let r = 0; r < m.nRows; r++) {
    let s = 0;
    for (let p = m.indptr[r]; p < m.indptr[r + 1]; p++) s += m.data[p];
    out[r] = s;
  }
  return out;
}

/** A dense row-major block (nRows x nCols) -> CSR. */
export function getCsrFromDense(nRows: number, nCols: number, dense: ArrayLike<number>): CsrMatrix {
  let nnz = 0;
  for (let i = 0; i < dense.length; i++) if (dense[i] !== 0) nnz++;
  const indptr = createIndptr(nRows, nnz);
  const indices = new Int32Array(nnz);
  const data = new Float32Array(nnz);
  let w = 0;
  for (let r = 0; r < nRows; r++) {
    const base = r * nCols;
    for (let c = 0; c < nCols; c++) {
      const v = dense[base + c];
      if (v !== 0) {
        indices[w] = c;
        data[w++] = v;
      }
    }
    indptr[r + 1] = w;
  }
  return { nRows, nCols, indptr, indices, data };
}

/** Concatenate CSR blocks that share nCols (rows stacked). */
export function getStackedCsr(blocks: CsrMatrix[], nCols: number): CsrMatrix {
  let nRows = 0;
  let nnz = 0;
  for (const b of blocks) {
    nRows += b.nRows;
    nnz += b.indices.length;
  }
  const indptr = createIndptr(nRows, nnz);
  const indices = new Int32Array(nnz);
  const data = new Float32Array(nnz);
  let r0 = 0;
  let w = 0;
  for (const b of blocks) {
    indices.set(b.indices, w);
    data.set(b.data, w);
    for (let r = 0; r < b.nRows; r++) indptr[r0 + r + 1] = w + b.indptr[r + 1];
    r0 += b.nRows;
    w += b.indices.length;
  }
  return { nRows, nCols, indptr, indices, data };
}
