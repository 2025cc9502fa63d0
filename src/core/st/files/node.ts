/**
 * Node edge: StFiles over paths on disk (directories are walked), HDF5 opened in place through
 * h5wasm's Node build (it reads the real file system, so nothing is copied into JS memory).
 */
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { StError, type StFile, type StHdf5Handle } from '../types.ts';

async function openNodeHdf5(absPath: string, display: string): Promise<StHdf5Handle> {
  const h5wasm = (await import('h5wasm/node')).default;
  await h5wasm.ready;
  let file: InstanceType<typeof h5wasm.File>;
  try {
    file = new h5wasm.File(absPath, 'r');
  } catch (err) {
    throw new StError(display, `is not a readable HDF5 file (${(err as Error).message}).`, 'Check that the file is complete (not truncated by a download).');
  }
  return { file, close: () => file.close() };
}

function nodeStFile(absPath: string, path: string, size: number): StFile {
  const name = basename(absPath);
  const display = path || name;
  return {
    name,
    path,
    size,
    read: async () => {
      const buf = await readFile(absPath);
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    },
    readRange: async (start: number, end: number) => {
      const fh = await open(absPath, 'r');
      try {
        const len = Math.max(0, Math.min(end, size) - start);
        const out = new Uint8Array(len);
        await fh.read(out, 0, len, start);
        return out;
      } finally {
        await fh.close();
      }
    },
    openHdf5: () => openNodeHdf5(absPath, display),
  };
}

async function walk(dir: string, root: string, out: StFile[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const abs = join(dir, e.name);
    if (e.isDirectory()) await walk(abs, root, out);
    else if (e.isFile()) {
      const s = await stat(abs);
      out.push(nodeStFile(abs, relative(root, abs).split(sep).join('/'), s.size));
    }
  }
}

/**
 * StFiles for command-line inputs: a file gives one StFile with path '' ; a directory is walked
 * (hidden entries skipped) and its files get paths relative to the directory's parent
 * (`spatial/tissue_positions.csv` for `fusescope st spatial`).
 */
export async function loadNodeStFiles(inputs: string[]): Promise<StFile[]> {
  const out: StFile[] = [];
  for (const input of inputs) {
    const abs = resolve(input);
    let s: Awaited<ReturnType<typeof stat>>;
    try {
      s = await stat(abs);
    } catch {
      throw new StError(input, 'does not exist.', 'Check the path.');
    }
    if (s.isDirectory()) await walk(abs, resolve(abs, '..'), out);
    else out.push(nodeStFile(abs, '', s.size));
  }
  return out;
}
