/**
 * Random access to the bytes of one file, wherever it lives (a dropped File, a URL read with
 * HTTP Range requests, a Node file handle). Slide sources read only through this interface.
 */
import { SlideError } from '../types.ts';

export interface ByteSource {
  /** File or URL name shown to the user in errors. */
  readonly name: string;
  /** Total size in bytes. */
  readonly size: number;
  /**
   * Read up to `length` bytes at `offset`. Returns fewer bytes only at the end of the file
   * (never throws for a read past the end: callers that need every byte use `readExact`).
   */
  read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array>;
  close?(): void | Promise<void>;
}

/**
 * Reads one file next to the main one by relative path (a DZI tile, an OME companion file),
 * or returns null when it does not exist.
 */
export type SiblingReader = (relativePath: string, signal?: AbortSignal) => Promise<Uint8Array | null>;

/** What `loadSlide` opens: the main file plus, for multi-file formats, a way to read its siblings. */
export interface SlideInput {
  source: ByteSource;
  siblings?: SiblingReader;
  /** Every file path of a multi-file input (e.g. a dropped DZI folder), relative to its root. */
  fileNames?: string[];
}

/** Read exactly `length` bytes or throw a SlideError saying the file is truncated. */
export async function readExact(src: ByteSource, offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
  if (offset < 0 || length < 0 || !Number.isFinite(offset) || !Number.isFinite(length)) {
    throw new SlideError(src.name, `the file points to an invalid byte range (${offset}, ${length}): it is corrupt.`, 'Re-export or re-download the slide.');
  }
  if (offset + length > src.size) {
    throw new SlideError(
      src.name,
      `the file is truncated or corrupt: it needs bytes ${offset}-${offset + length} but has only ${src.size}.`,
      'Copy or download the slide again in full.',
    );
  }
  const bytes = await src.read(offset, length, signal);
  if (bytes.length < length) {
    throw new SlideError(src.name, `the file is truncated: read ${bytes.length} of ${length} bytes at ${offset}.`, 'Copy or download the slide again in full.');
  }
  return bytes;
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new DOMException('The operation was aborted.', 'AbortError');
}
