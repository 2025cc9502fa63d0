/**
 * Visium HD square bins summed into coarser squares, by Space Ranger's own rule: native bin
 * (array_row r, array_col c) of side s belongs to the bin (floor(r / f), floor(c / f)) of side f x s
 * (that is how Space Ranger builds square_008um and square_016um from the 2 um bins). FuseScope's
 * models were trained on spots of about 100 um (legacy ST) and read a 96 um field of view, so an HD
 * run is scored on 96 um bins by default; `binUm` equal to the native size keeps the native bins.
 */
import { createIndptr } from '../matrix.ts';
import { getAffineFromLandmarks } from '../registration.ts';
import { type AnnotationColumn, type CsrMatrix, StError } from '../types.ts';

/** Default side of the summed bins: the default model's field of view (64 px at 1.5 um/px). */
export const HD_DEFAULT_BIN_UM = 96;

/** Native bin side in um from a Space Ranger binned-output path (`.../square_008um/...`), or null. */
export function getHdBinUmFromPath(path: string): number | null {
  const m = /(?:^|\/)square_(\d{3})um(?:\/|$)/i.exec(path);
  return m ? Number(m[1]) : null;
}

/** Native bins grouped into summed squares: the geometry of the squares and each bin's square. */
export interface HdBinGroups {
  /** per native bin (input order): its summed square (row of the summed matrix) */
  rowOf: Int32Array;
  /** the bin grid's angle on the image, degrees (getHdGridAngle) */
  angleDeg: number;
  ids: string[];
  /** centres in full-resolution pixels */
  x: Float64Array;
  y: Float64Array;
  inTissue: Uint8Array;
  annotations: Record<string, AnnotationColumn>;
}

export interface HdBinInput {
  /** native bins */
  x: Float64Array;
  y: Float64Array;
  inTissue: Uint8Array;
  arrayRow: Int32Array;
  arrayCol: Int32Array;
}

/**
 * The pixel step of one bin along each array axis: the linear part of the least-squares affine from
 * array (col, row) to full-resolution pixels over every bin (registration's landmark fit). Only the
 * linear part is used, so a mildly non-linear image registration still places each summed bin from
 * its own members. NaN when the bins lie on one line.
 */
export function getHdGridStep(inp: Pick<HdBinInput, 'x' | 'y' | 'arrayRow' | 'arrayCol'>): { xPerCol: number; xPerRow: number; yPerCol: number; yPerRow: number } {
  const n = inp.x.length;
  const from = Array.from({ length: n }, (_, i) => ({ x: inp.arrayCol[i], y: inp.arrayRow[i] }));
  const to = Array.from({ length: n }, (_, i) => ({ x: inp.x[i], y: inp.y[i] }));
  try {
    const [a, b, , d, e] = getAffineFromLandmarks(from, to).affine;
    return { xPerCol: a, xPerRow: b, yPerCol: d, yPerRow: e };
  } catch (err) {
    if (!(err instanceof StError)) throw err;
    return { xPerCol: Number.NaN, xPerRow: Number.NaN, yPerCol: Number.NaN, yPerRow: Number.NaN };
  }
}

function getStepAngle(s: ReturnType<typeof getHdGridStep>): number {
  const a = (Math.atan2(s.yPerCol, s.xPerCol) * 180) / Math.PI;
  return Number.isFinite(a) ? a : 0;
}

/** The bin grid's angle on the image in degrees (its columns' direction, from +x towards +y); 0 when it cannot be fitted. */
export function getHdGridAngle(inp: Pick<HdBinInput, 'x' | 'y' | 'arrayRow' | 'arrayCol'>): number {
  return getStepAngle(getHdGridStep(inp));
}

/**
 * Group native bins into squares of `factor` x `factor` bins. The centre of a square is the mean
 * over its members of each member's centre moved by the grid step to the square's centre (exact on
 * an affine grid, unbiased at the tissue edge where a square has few members). A square is under
 * tissue when any member is. Squares are ordered by (row, column); ids follow Space Ranger's naming
 * (`s_096um_00012_00034-1`). Annotations: array_row, array_col and `native_bins_in_tissue`
 * (members under tissue, in bins of the size that was read).
 */
export function getHdBinGroups(inp: HdBinInput, factor: number, binUm: number): HdBinGroups {
  const n = inp.x.length;
  const f = Math.max(1, Math.round(factor));
  const fitted = getHdGridStep(inp);
  // a grid of one row or column has no fitted step: squares are then centred on their members' mean
  const step = [fitted.xPerCol, fitted.xPerRow, fitted.yPerCol, fitted.yPerRow].every(Number.isFinite) ? fitted : { xPerCol: 0, xPerRow: 0, yPerCol: 0, yPerRow: 0 };
  const key = new Float64Array(n);
  let maxC = 0;
  for (let i = 0; i < n; i++) maxC = Math.max(maxC, Math.floor(inp.arrayCol[i] / f));
  const width = maxC + 1;
  for (let i = 0; i < n; i++) key[i] = Math.floor(inp.arrayRow[i] / f) * width + Math.floor(inp.arrayCol[i] / f);
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => key[a] - key[b] || a - b);
  const starts: number[] = [];
  for (let k = 0; k < n; k++) if (k === 0 || key[order[k]] !== key[order[k - 1]]) starts.push(k);
  starts.push(n);
  const m = starts.length - 1;
  const rowOf = new Int32Array(n);
  const ids: string[] = new Array(m);
  const x = new Float64Array(m);
  const y = new Float64Array(m);
  const inTissue = new Uint8Array(m);
  const rowAnn = new Float64Array(m);
  const colAnn = new Float64Array(m);
  const binsIn = new Float64Array(m);
  const pad = (v: number, w: number) => String(v).padStart(w, '0');
  const um = pad(Math.round(binUm), 3);
  for (let g = 0; g < m; g++) {
    const R = Math.floor(key[order[starts[g]]] / width);
    const C = key[order[starts[g]]] - R * width;
    const rc = R * f + (f - 1) / 2;
    const cc = C * f + (f - 1) / 2;
    let sx = 0;
    let sy = 0;
    let nt = 0;
    for (let k = starts[g]; k < starts[g + 1]; k++) {
      const i = order[k];
      rowOf[i] = g;
      const dc = cc - inp.arrayCol[i];
      const dr = rc - inp.arrayRow[i];
      sx += inp.x[i] + step.xPerCol * dc + step.xPerRow * dr;
      sy += inp.y[i] + step.yPerCol * dc + step.yPerRow * dr;
      if (inp.inTissue[i]) nt++;
    }
    const cnt = starts[g + 1] - starts[g];
    x[g] = sx / cnt;
    y[g] = sy / cnt;
    inTissue[g] = nt > 0 ? 1 : 0;
    rowAnn[g] = R;
    colAnn[g] = C;
    binsIn[g] = nt;
    ids[g] = `s_${um}um_${pad(R, 5)}_${pad(C, 5)}-1`;
  }
  return {
    rowOf,
    angleDeg: getStepAngle(fitted),
    ids,
    x,
    y,
    inTissue,
    annotations: {
      array_row: { kind: 'numeric', values: rowAnn },
      array_col: { kind: 'numeric', values: colAnn },
      native_bins_in_tissue: { kind: 'numeric', values: binsIn },
    },
  };
}

/**
 * Rows of an in-memory CSR summed into `nRows` rows (`rowOf[r]`: the output row of row r), gene by
 * gene; a canonical CSR (sorted columns). A 10x h5 is summed while it is read instead
 * (readTenxH5's `sumRows`), so that its full matrix is never held.
 */
export function getSummedCsrRows(matrix: CsrMatrix, rowOf: Int32Array, nRows: number): CsrMatrix {
  const order = Int32Array.from({ length: matrix.nRows }, (_, i) => i).sort((a, b) => rowOf[a] - rowOf[b] || a - b);
  const nCols = matrix.nCols;
  const scratch = new Float64Array(nCols);
  const touched = new Int32Array(nCols);
  const seen = new Uint8Array(nCols);
  // a summed row stores at most what its members stored
  const nnzIn = Number(matrix.indptr[matrix.nRows]);
  const outIdx = new Int32Array(nnzIn);
  const outVal = new Float32Array(nnzIn);
  let nnz = 0;
  const indptr = createIndptr(nRows, nnzIn);
  let k = 0;
  for (let g = 0; g < nRows; g++) {
    let t = 0;
    for (; k < order.length && rowOf[order[k]] === g; k++) {
      const i = order[k];
      for (let p = Number(matrix.indptr[i]); p < Number(matrix.indptr[i + 1]); p++) {
        const j = matrix.indices[p];
        if (!seen[j]) {
          seen[j] = 1;
          touched[t++] = j;
        }
        scratch[j] += matrix.data[p];
      }
    }
    for (const j of touched.subarray(0, t).sort()) {
      if (scratch[j] !== 0) {
        outIdx[nnz] = j;
        outVal[nnz++] = scratch[j];
      }
      scratch[j] = 0;
      seen[j] = 0;
    }
    indptr[g + 1] = nnz;
  }
  return { nRows, nCols, indptr, indices: outIdx.slice(0, nnz), data: outVal.slice(0, nnz) };
}
