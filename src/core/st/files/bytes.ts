import type { StFile } from '../types.ts';

/** An StFile over bytes already in memory (tests, and the browser main thread for small files). */
export function createBytesStFile(name: string, bytes: Uint8Array, path = ''): StFile {
  return {
    name,
    path,
    size: bytes.byteLength,
    read: async () => bytes,
    readRange: async (start: number, end: number) => bytes.subarray(start, Math.min(end, bytes.byteLength)),
  };
}
