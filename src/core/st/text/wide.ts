/** Wide count tables (one row per spot, one column per gene) parsed straight into CSR. */
import { createIndptr } from '../matrix.ts';
import { throwIfAborted } from '../hdf5/read.ts';
import { getField, scanNumericRow } from './delimited.ts';
import { type CsrMatrix, StError } from '../types.ts';

export interface WideRowsResult {
  matrix: CsrMatrix;
  rowIds: string[];
}

/**
 * Parse `lines` (header excluded) whose first `skip` fields are not counts; `geneCols` numeric
 * fields follow. `idOf` gives each row's id from its first fields. Non-numeric counts throw an
 * StError naming the row, the column and the value.
 */
export function getWideCounts(
  lines: string[],
  d: string,
  skip: number,
  geneNames: string[],
  label: string,
  idOf: (line: string) => string,
  signal?: AbortSignal,
  columnOf?: (k: number) => number,
): WideRowsResult {
  const nGenes = geneNames.length;
  const row = new Float64Array(nGenes);
  let cap = Math.max(1024, lines.length * 64);
  let indices = new Int32Array(cap);
  let data = new Float32Array(cap);
  const counts: number[] = [0];
  let nnz = 0;
  const rowIds: string[] = [];
  const dc = d.charCodeAt(0);
  for (let r = 0; r < lines.length; r++) {
    if ((r & 255) === 0) throwIfAborted(signal);
    const line = lines[r];
    if (line.trim() === '') continue;
    const bad = scanNumericRow(line, dc, skip, row);
    const id = idOf(line);
    if (bad >= 0) {
      const value = getField(line, d, skip + bad);
      throw new StError(
        label,
        value === '' && line.split(d).length < skip + nGenes
          ? `row ${r + 2} (${id}) has ${line.split(d).length} fields where the header has ${skip + nGenes}.`
          : `row ${r + 2} (${id}), column "${geneNames[bad]}": "${value.slice(0, 30)}" is not a count.`,
        'Counts must be numbers; export the raw count table again (no text in the gene columns).',
      );
    }
    for (let k = 0; k < nGenes; k++) {
      const v = row[k];
      if (v !== 0) {
        if (nnz === cap) {
          cap *= 2;
          const ni = new Int32Array(cap);
          ni.set(indices);
          indices = ni;
          const nd = new Float32Array(cap);
          nd.set(data);
          data = nd;
        }
        indices[nnz] = columnOf ? columnOf(k) : k;
        data[nnz++] = v;
      }
    }
    counts.push(nnz);
    rowIds.push(id);
  }
  const indptr = createIndptr(rowIds.length, nnz);
  for (let i = 0; i < counts.length; i++) indptr[i] = counts[i];
  return { matrix: { nRows: rowIds.length, nCols: nGenes, indptr, indices: indices.slice(0, nnz), data: data.slice(0, nnz) }, rowIds };
}
