/**
 * Browser edge: StFiles over dropped File objects. In a worker, HDF5 files larger than
 * `hdf5CopyBelowBytes` (default 64 MB) are mounted with Emscripten's WORKERFS (h5wasm reads
 * slices through FileReaderSync; the file is never copied into memory); smaller ones, and all of
 * them outside a worker, are copied into h5wasm's in-memory file system, which is faster (one
 * read instead of one FileReaderSync call per HDF5 read) and bounded by the size limit.
 */
import { StError, type StFile, type StHdf5Handle } from '../types.ts';

let mountCounter = 0;

export const HDF5_COPY_BELOW_BYTES = 64 * 1024 * 1024;

async function openBrowserHdf5(file: Blob, name: string, display: string, copyBelowBytes: number): Promise<StHdf5Handle> {
  const h5wasm = (await import('h5wasm')).default;
  const { FS } = await h5wasm.ready;
  const inWorker = typeof (globalThis as { FileReaderSync?: unknown }).FileReaderSync === 'function';
  const dir = `/st-${++mountCounter}`;
  FS.mkdir(dir);
  let unmount = () => {};
  if (inWorker && FS.filesystems.WORKERFS && file.size >= copyBelowBytes) {
    FS.mount(FS.filesystems.WORKERFS, { blobs: [{ name, data: file }] }, dir);
    unmount = () => {
      FS.unmount(dir);
      FS.rmdir(dir);
    };
  } else {
    FS.writeFile(`${dir}/${name}`, new Uint8Array(await file.arrayBuffer()));
    unmount = () => {
      FS.unlink(`${dir}/${name}`);
      FS.rmdir(dir);
    };
  }
  let h5: InstanceType<typeof h5wasm.File>;
  try {
    h5 = new h5wasm.File(`${dir}/${name}`, 'r');
  } catch (err) {
    unmount();
    throw new StError(display, `is not a readable HDF5 file (${(err as Error).message}).`, 'Check that the file is complete (not truncated by a download).');
  }
  return {
    file: h5,
    close: () => {
      h5.close();
      unmount();
    },
  };
}

/** A dropped file: `File` or any Blob with a name; `relativePath` as from a folder drop ('' when alone). */
export function getBrowserStFile(
  file: Blob & { name: string; webkitRelativePath?: string },
  relativePath?: string,
  hdf5CopyBelowBytes = HDF5_COPY_BELOW_BYTES,
): StFile {
  const path = relativePath ?? file.webkitRelativePath ?? '';
  const name = file.name;
  return {
    name,
    path,
    size: file.size,
    read: async () => new Uint8Array(await file.arrayBuffer()),
    readRange: async (start: number, end: number) => new Uint8Array(await file.slice(start, end).arrayBuffer()),
    openHdf5: () => openBrowserHdf5(file, name.replace(/[^A-Za-z0-9._-]/g, '_'), path || name, hdf5CopyBelowBytes),
  };
}

export function getBrowserStFiles(
  files: (Blob & { name: string; webkitRelativePath?: string })[],
  paths?: string[],
  hdf5CopyBelowBytes = HDF5_COPY_BELOW_BYTES,
): StFile[] {
  return files.map((f, i) => getBrowserStFile(f, paths?.[i], hdf5CopyBelowBytes));
}
