/**
 * Reading HDF5 through h5wasm for the ST loaders: open (in place when the StFile can), typed
 * datasets read in chunk-aligned slices (bounded wasm memory, abortable, with progress), 64-bit
 * integers narrowed to Int32 without going through BigInt one by one, strings, attributes.
 */
import type { Dataset, Entity, Group } from 'h5wasm';
import { StError, type StFile, type StHdf5Handle } from '../types.ts';

export const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export function isHdf5Bytes(head: Uint8Array): boolean {
  return head.length >= 8 && HDF5_MAGIC.every((b, i) => head[i] === b);
}

/** Open an StFile as HDF5: in place when the file supports it, else copied into h5wasm's memory FS. */
export async function loadHdf5(file: StFile): Promise<StHdf5Handle> {
  if (file.openHdf5) return file.openHdf5();
  const h5wasm = (await import('h5wasm')).default;
  const { FS } = await h5wasm.ready;
  const name = `/st-mem-${Math.random().toString(36).slice(2)}.h5`;
  FS.writeFile(name, await file.read());
  let h5: InstanceType<typeof h5wasm.File>;
  try {
    h5 = new h5wasm.File(name, 'r');
  } catch (err) {
    FS.unlink(name);
    throw new StError(file.path || file.name, `is not a readable HDF5 file (${(err as Error).message}).`, 'Check that the file is complete.');
  }
  return {
    file: h5,
    close: () => {
      h5.close();
      FS.unlink(name);
    },
  };
}

function entityType(e: unknown): string {
  return e && typeof e === 'object' && 'type' in e ? String((e as { type: unknown }).type) : '';
}

/** Type checks by h5wasm's `type` tag (the Node and browser builds have different classes). */
export function isH5Group(e: Entity | null | undefined): e is Group {
  return entityType(e) === 'Group';
}

export function isH5Dataset(e: Entity | null | undefined): e is Dataset {
  return entityType(e) === 'Dataset';
}

/** `group.get(path)` that returns null for anything missing (never throws). */
export function getH5(group: Group, path: string): Entity | null {
  try {
    const parts = path.split('/').filter(Boolean);
    let cur: Group = group;
    for (let i = 0; i < parts.length; i++) {
      if (!cur.keys().includes(parts[i])) return null;
      const next = cur.get(parts[i]);
      if (i === parts.length - 1) return next;
      if (!isH5Group(next)) return null;
      cur = next;
    }
    return cur;
  } catch {
    return null;
  }
}

export function getH5Group(group: Group, path: string): Group | null {
  const e = getH5(group, path);
  return isH5Group(e) ? e : null;
}

export function getH5Dataset(group: Group, path: string): Dataset | null {
  const e = getH5(group, path);
  return isH5Dataset(e) ? e : null;
}

export type H5AttrValue = ReturnType<Dataset['get_attribute']>;

export function getH5Attr(e: Group | Dataset, name: string): H5AttrValue | null {
  try {
    if (!Object.keys(e.attrs).includes(name)) return null;
    return e.get_attribute(name, false);
  } catch {
    return null;
  }
}

export function getH5AttrString(e: Group | Dataset, name: string): string | null {
  const v = getH5Attr(e, name);
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  return null;
}

export function getH5AttrStrings(e: Group | Dataset, name: string): string[] | null {
  const v = getH5Attr(e, name);
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  return null;
}

export function getH5AttrNumbers(e: Group | Dataset, name: string): number[] | null {
  const v = getH5Attr(e, name);
  if (typeof v === 'number') return [v];
  if (typeof v === 'bigint') return [Number(v)];
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as ArrayLike<number | bigint>, Number);
  if (Array.isArray(v)) return v.map(Number);
  return null;
}

/** Strings of a 1-D string dataset (fixed-length bytes or variable-length UTF-8). */
export function readH5Strings(ds: Dataset, what: string): string[] {
  const v = ds.value;
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : String(x)));
  if (typeof v === 'string') return [v];
  if (ArrayBuffer.isView(v)) return Array.from(v as ArrayLike<number | bigint>, (x) => String(x));
  throw new StError(what, `could not be read as text (dtype ${JSON.stringify(ds.dtype)}).`, '');
}

export interface ReadProgress {
  signal?: AbortSignal;
  /** called with the fraction (0..1) of this dataset read */
  onChunk?: (fraction: number) => void;
}

function sliceStep(ds: Dataset): number {
  const chunk = ds.metadata.chunks?.[0] ?? 65536;
  return Math.max(1, Math.ceil((1 << 20) / chunk)) * chunk;
}

function datasetLength(ds: Dataset): number {
  const shape = ds.shape ?? [];
  return shape.reduce((a, b) => a * b, 1);
}

type NumericArray = Exclude<ReturnType<Dataset['slice']>, null>;

function checkNumeric(v: unknown, what: string): ArrayLike<number> | BigInt64Array | BigUint64Array {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return v as ArrayLike<number> | BigInt64Array;
  throw new StError(what, 'is not a numeric array.', 'The file does not follow the expected schema.');
}

/** Copy one slice into `out` at `offset`, narrowing 64-bit integers through their low 32 bits. */
function copyInto(out: Int32Array | Float32Array | Float64Array, offset: number, v: NumericArray, what: string): void {
  const src = checkNumeric(v, what);
  if (src instanceof BigInt64Array || src instanceof BigUint64Array) {
    const words = new Int32Array(src.buffer, src.byteOffset, src.length * 2);
    if (out instanceof Int32Array) {
      let high = 0;
      for (let i = 0; i < src.length; i++) {
        out[offset + i] = words[2 * i];
        high |= words[2 * i + 1];
      }
      if (high !== 0) throw new StError(what, 'holds 64-bit values beyond 2^31 (or negative ones).', 'Such matrices are too large for FuseScope.');
    } else {
      for (let i = 0; i < src.length; i++) out[offset + i] = Number(src[i]);
    }
    return;
  }
  // TypedArray.set converts between element types in native code (Int32 -> Float32, Uint8 -> Int32, ...)
  out.set(src as ArrayLike<number>, offset);
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new DOMException('The ST load was cancelled.', 'AbortError');
}

/** A whole 1-D (or flattened N-D) numeric dataset as Int32Array / Float32Array / Float64Array. */
export function readH5Numeric<T extends Int32Array | Float32Array | Float64Array>(
  ds: Dataset,
  Out: { new (n: number): T },
  what: string,
  progress: ReadProgress = {},
): T {
  const n = datasetLength(ds);
  const out = new Out(n);
  const shape = ds.shape ?? [];
  if (shape.length !== 1) {
    const v = ds.value;
    if (v === null) return out;
    copyInto(out, 0, v as NumericArray, what);
    return out;
  }
  const step = sliceStep(ds);
  for (let start = 0; start < n; start += step) {
    throwIfAborted(progress.signal);
    const end = Math.min(n, start + step);
    const v = ds.slice([[start, end]]);
    if (v === null) break;
    copyInto(out, start, v, what);
    progress.onChunk?.(end / n);
  }
  return out;
}

/** Entries [start, end) of a 1-D numeric dataset into `out` at 0 (64-bit integers narrowed as in readH5Numeric). */
export function readH5RangeInto(ds: Dataset, start: number, end: number, out: Int32Array | Float32Array | Float64Array, what: string): void {
  if (end <= start) return;
  const v = ds.slice([[start, end]]);
  if (v === null) throw new StError(what, `could not be read at entries ${start}-${end}.`, 'The file is truncated or inconsistent.');
  copyInto(out, 0, v, what);
}

/** Read rows [r0, r1) of a 2-D dataset (row-major, flattened). */
export function readH5Rows(ds: Dataset, r0: number, r1: number, what: string): ArrayLike<number> {
  const v = ds.slice([[r0, r1], []]);
  const src = checkNumeric(v, what);
  if (src instanceof BigInt64Array || src instanceof BigUint64Array) return Float64Array.from(src, Number);
  return src as ArrayLike<number>;
}

/** Numeric dataset length check against an expected length. */
export function expectLength(ds: Dataset, n: number, what: string): void {
  const len = datasetLength(ds);
  if (len !== n) throw new StError(what, `has ${len} entries where ${n} were expected.`, 'The file is inconsistent (truncated or written by a broken tool).');
}

export function getH5Shape(ds: Dataset): number[] {
  return ds.shape ?? [];
}
