/**
 * 10x Market Exchange (MEX) folder: matrix.mtx(.gz) (MatrixMarket coordinate, features x barcodes,
 * 1-based), barcodes.tsv(.gz), features.tsv(.gz) (id, name, feature_type) or the Cell Ranger 2
 * genes.tsv (id, name). Parsed from bytes as they are gunzipped (no whole-file text string).
 */
import { getCsrColumns, getCsrFromTriplets } from '../matrix.ts';
import { throwIfAborted } from '../hdf5/read.ts';
import { getFileLabel, loadTextLines } from '../text/delimited.ts';
import { forEachPlainChunk } from '../text/gzip.ts';
import { type CsrMatrix, StError, type StFile } from '../types.ts';

export interface MexMatrix {
  matrix: CsrMatrix;
  barcodes: string[];
  symbols: string[];
  ids: string[];
  droppedFeatures: Record<string, number>;
}

interface Triplets {
  nFeatures: number;
  nBarcodes: number;
  rows: Int32Array;
  cols: Int32Array;
  vals: Float32Array;
  nnz: number;
}

/** Parse MatrixMarket coordinate text from byte chunks. */
function parseMtx(bytes: Uint8Array, label: string, signal?: AbortSignal): Triplets {
  let carry: Uint8Array | null = null;
  let lineNo = 0;
  let header: number[] | null = null;
  let t: Triplets | null = null;
  let k = 0;
  let isPattern = false;
  const dec = new TextDecoder();
  const fail = (msg: string) => {
    throw new StError(label, `line ${lineNo}: ${msg}`, 'matrix.mtx must be a MatrixMarket coordinate file as written by Space Ranger.');
  };
  const handleHeaderLine = (line: string) => {
    if (line.startsWith('%%MatrixMarket')) {
      const l = line.toLowerCase();
      if (!l.includes('coordinate')) fail('only the coordinate (sparse) MatrixMarket format is supported.');
      isPattern = l.includes('pattern');
      return;
    }
    if (line.startsWith('%') || line.trim() === '') return;
    const nums = line.trim().split(/\s+/).map(Number);
    if (nums.length < 3 || !nums.every(Number.isInteger)) fail(`expected "features barcodes entries", got "${line.slice(0, 60)}".`);
    header = nums;
    const nnz = nums[2];
    t = { nFeatures: nums[0], nBarcodes: nums[1], rows: new Int32Array(nnz), cols: new Int32Array(nnz), vals: new Float32Array(nnz), nnz };
  };
  const handleLine = (buf: Uint8Array, a: number, b: number) => {
    lineNo++;
    if (!header) {
      handleHeaderLine(dec.decode(buf.subarray(a, b)));
      return;
    }
    const tt = t as unknown as Triplets;
    // three numbers: feature, barcode, value
    let p = a;
    const nums = [0, 0, 0];
    let field = 0;
    while (p < b && field < 3) {
      while (p < b && (buf[p] === 32 || buf[p] === 9 || buf[p] === 13)) p++;
      if (p >= b) break;
      const s = p;
      let v = 0;
      let simple = true;
      while (p < b && buf[p] !== 32 && buf[p] !== 9 && buf[p] !== 13) {
        const c = buf[p];
        if (c >= 48 && c <= 57) v = v * 10 + (c - 48);
        else simple = false;
        p++;
      }
      if (!simple) {
        v = Number(dec.decode(buf.subarray(s, p)));
        if (!Number.isFinite(v)) fail(`"${dec.decode(buf.subarray(a, b)).slice(0, 60)}" is not numeric.`);
      }
      nums[field++] = v;
    }
    if (field === 0) return;
    if (field < (isPattern ? 2 : 3)) fail(`expected "feature barcode value", got "${dec.decode(buf.subarray(a, b)).slice(0, 60)}".`);
    if (k >= tt.nnz) fail(`more entries than the ${tt.nnz} the header announces.`);
    const f = nums[0] - 1;
    const c = nums[1] - 1;
    if (f < 0 || f >= tt.nFeatures || c < 0 || c >= tt.nBarcodes) fail(`entry (${nums[0]}, ${nums[1]}) is outside the ${tt.nFeatures} x ${tt.nBarcodes} matrix.`);
    tt.rows[k] = c;
    tt.cols[k] = f;
    tt.vals[k] = isPattern ? 1 : nums[2];
    k++;
  };
  forEachPlainChunk(bytes, label, (chunk) => {
    throwIfAborted(signal);
    let buf = chunk;
    if (carry) {
      buf = new Uint8Array(carry.length + chunk.length);
      buf.set(carry);
      buf.set(chunk, carry.length);
      carry = null;
    }
    let start = 0;
    for (let i = 0; i < buf.length; i++) {
      if (buf[i] === 10) {
        handleLine(buf, start, i);
        start = i + 1;
      }
    }
    if (start < buf.length) carry = buf.slice(start);
  });
  if (carry) handleLine(carry, 0, (carry as Uint8Array).length);
  if (!t) throw new StError(label, 'has no MatrixMarket size line.', 'matrix.mtx must be a MatrixMarket coordinate file as written by Space Ranger.');
  const tt = t as Triplets;
  if (k < tt.nnz) throw new StError(label, `has ${k} entries but its header announces ${tt.nnz}.`, 'The file is truncated; copy it again.');
  return tt;
}

export async function loadMexMatrix(
  files: { matrix: StFile; barcodes: StFile; features: StFile },
  progress: { signal?: AbortSignal } = {},
): Promise<MexMatrix> {
  const mLabel = getFileLabel(files.matrix);
  if (files.matrix.size === 0) throw new StError(mLabel, 'is empty.', 'Copy matrix.mtx.gz from the Space Ranger output again.');
  const barcodes = (await loadTextLines(files.barcodes)).map((l) => l.split('\t')[0].trim());
  const featLines = await loadTextLines(files.features);
  const ids: string[] = [];
  let symbols: string[] = [];
  const types: string[] = [];
  for (const l of featLines) {
    const f = l.split('\t');
    ids.push(f[0]);
    symbols.push(f[1] ?? f[0]);
    types.push(f[2] ?? 'Gene Expression');
  }
  const t = parseMtx(await files.matrix.read(), mLabel, progress.signal);
  if (t.nBarcodes !== barcodes.length) {
    throw new StError(mLabel, `has ${t.nBarcodes} barcode columns but ${getFileLabel(files.barcodes)} lists ${barcodes.length}.`, 'Use the three files of the same matrix folder.');
  }
  if (t.nFeatures !== ids.length) {
    throw new StError(mLabel, `has ${t.nFeatures} feature rows but ${getFileLabel(files.features)} lists ${ids.length}.`, 'Use the three files of the same matrix folder.');
  }
  let matrix = getCsrFromTriplets(t.nBarcodes, t.nFeatures, t.rows, t.cols, t.vals, t.nnz);
  let keptIds = ids;
  const droppedFeatures: Record<string, number> = {};
  if (types.some((x) => x !== 'Gene Expression')) {
    const keep = new Uint8Array(ids.length);
    types.forEach((x, i) => {
      if (x === 'Gene Expression') keep[i] = 1;
      else droppedFeatures[x] = (droppedFeatures[x] ?? 0) + 1;
    });
    matrix = getCsrColumns(matrix, keep);
    keptIds = ids.filter((_, i) => keep[i]);
    symbols = symbols.filter((_, i) => keep[i]);
  }
  return { matrix, barcodes, symbols, ids: keptIds, droppedFeatures };
}
