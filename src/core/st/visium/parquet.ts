/**
 * Visium HD bin positions: Space Ranger 3+'s `spatial/tissue_positions.parquet` (one row per square
 * bin: barcode, in_tissue, array_row, array_col, pxl_row_in_fullres, pxl_col_in_fullres), read with
 * hyparquet (and hyparquet-compressors for zstd, gzip, brotli and lz4 pages; snappy is built in).
 */
import { parquetMetadata, parquetRead } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { throwIfAborted } from '../hdf5/read.ts';
import { getFileLabel } from '../text/delimited.ts';
import { StError, type StFile } from '../types.ts';
import { createVisiumPositions, type VisiumPositions } from './spatial.ts';

const HD_COLUMNS = ['barcode', 'in_tissue', 'array_row', 'array_col', 'pxl_row_in_fullres', 'pxl_col_in_fullres'] as const;

/** Parquet files start and end with the magic bytes PAR1. */
function isParquet(bytes: Uint8Array): boolean {
  const n = bytes.length;
  const magic = (o: number) => bytes[o] === 0x50 && bytes[o + 1] === 0x41 && bytes[o + 2] === 0x52 && bytes[o + 3] === 0x31;
  return n >= 12 && magic(0) && magic(n - 4);
}

export async function loadVisiumParquetPositions(file: StFile, signal?: AbortSignal): Promise<VisiumPositions> {
  const label = getFileLabel(file);
  const bytes = await file.read();
  if (!isParquet(bytes)) {
    throw new StError(label, 'is not a Parquet file (no PAR1 magic bytes at its start and end): it is truncated or not what its name says.', 'Copy spatial/tissue_positions.parquet from the Space Ranger output again.');
  }
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let n: number;
  let names: string[];
  try {
    const meta = parquetMetadata(buffer);
    n = Number(meta.num_rows);
    names = meta.schema.slice(1).map((s) => s.name);
  } catch (err) {
    throw new StError(label, `cannot be read as Parquet (${(err as Error).message}).`, 'Copy spatial/tissue_positions.parquet from the Space Ranger output again.');
  }
  const missing = HD_COLUMNS.filter((c) => !names.includes(c));
  if (missing.length) {
    throw new StError(label, `has no column ${missing.join(', ')} (it has ${names.join(', ')}).`, `A Space Ranger positions file has the columns ${HD_COLUMNS.join(', ')}.`);
  }
  const out = createVisiumPositions(n, 'hd-parquet');
  const { ids, inTissue, arrayRow, arrayCol, x, y } = out;
  let bad = '';
  const put = (name: string, rowStart: number, values: ArrayLike<unknown>) => {
    for (let i = 0; i < values.length; i++) {
      const r = rowStart + i;
      if (r >= n) break;
      const v = values[i];
      if (name === 'barcode') {
        ids[r] = String(v);
        continue;
      }
      const num = typeof v === 'bigint' ? Number(v) : typeof v === 'boolean' ? Number(v) : (v as number);
      if (typeof num !== 'number' || !Number.isFinite(num)) {
        if (!bad) bad = `row ${r + 1}, column ${name}: ${String(v)}`;
        continue;
      }
      if (name === 'in_tissue') inTissue[r] = num ? 1 : 0;
      else if (name === 'array_row') arrayRow[r] = num;
      else if (name === 'array_col') arrayCol[r] = num;
      else if (name === 'pxl_row_in_fullres') y[r] = num;
      else x[r] = num;
    }
  };
  try {
    await parquetRead({
      file: buffer,
      columns: [...HD_COLUMNS],
      compressors,
      // (hyparquet calls this from a promise callback: a throw here would be an unhandled rejection)
      onChunk: (chunk) => {
        if (!signal?.aborted) put(chunk.columnName, chunk.rowStart, chunk.columnData as ArrayLike<unknown>);
      },
    });
  } catch (err) {
    throwIfAborted(signal);
    throw new StError(label, `cannot be read as Parquet (${(err as Error).message}).`, 'Copy spatial/tissue_positions.parquet from the Space Ranger output again.');
  }
  throwIfAborted(signal);
  if (bad) throw new StError(label, `has a value that is not a number (${bad}).`, 'The positions file must hold numbers in every column after the barcode.');
  return out;
}
