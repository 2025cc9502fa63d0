/** gzip for the ST text formats through fflate (works the same in Node and in workers). */
import { Gunzip, gunzipSync } from 'fflate';
import { StError } from '../types.ts';

export function isGzipBytes(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** The bytes, gunzipped when they start with the gzip magic number. */
export function getPlainBytes(bytes: Uint8Array, what: string): Uint8Array {
  if (!isGzipBytes(bytes)) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (err) {
    throw new StError(what, `is not valid gzip (${(err as Error).message}).`, 'The download may be truncated; fetch the file again.');
  }
}

/** Stream the (possibly gzipped) bytes to `onChunk` in pieces, without holding the whole text. */
export function forEachPlainChunk(bytes: Uint8Array, what: string, onChunk: (chunk: Uint8Array) => void): void {
  if (!isGzipBytes(bytes)) {
    const step = 1 << 22;
    for (let i = 0; i < bytes.length; i += step) onChunk(bytes.subarray(i, Math.min(bytes.length, i + step)));
    return;
  }
  const g = new Gunzip((chunk) => onChunk(chunk));
  try {
    const step = 1 << 20;
    for (let i = 0; i < bytes.length; i += step) g.push(bytes.subarray(i, Math.min(bytes.length, i + step)), i + step >= bytes.length);
  } catch (err) {
    if (err instanceof StError) throw err;
    throw new StError(what, `is not valid gzip (${(err as Error).message}).`, 'The download may be truncated; fetch the file again.');
  }
}

/** The first `n` bytes of the plain content (gunzipping only as much of `head` as needed). */
export function getPlainHead(head: Uint8Array, n: number): Uint8Array {
  if (!isGzipBytes(head)) return head.subarray(0, n);
  const parts: Uint8Array[] = [];
  let got = 0;
  const g = new Gunzip((chunk) => {
    parts.push(chunk);
    got += chunk.length;
  });
  try {
    const step = 1 << 14;
    for (let i = 0; i < head.length && got < n; i += step) g.push(head.subarray(i, Math.min(head.length, i + step)), false);
  } catch {
    // a truncated or corrupt stream: whatever came out is the head
  }
  const out = new Uint8Array(Math.min(n, got));
  let w = 0;
  for (const p of parts) {
    if (w >= out.length) break;
    out.set(p.subarray(0, out.length - w), w);
    w += Math.min(p.length, out.length - w);
  }
  return out;
}
