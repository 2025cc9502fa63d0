/** Node-only: a model package in a directory on disk. Imported by the CLI and tests only. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { PackageFiles } from './package-files.ts';

export function getDirPackageFiles(dir: string): PackageFiles {
  const root = resolve(dir);
  return {
    name: root,
    async read(path: string): Promise<Uint8Array> {
      const buf = await readFile(resolve(root, path));
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    },
  };
}
