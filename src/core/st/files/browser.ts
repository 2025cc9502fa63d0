/**
 * Browser edge: StFiles over dropped File objects. In a worker, HDF5 files are mounted with
 * Emscripten's WORKERFS (h5wasm reads slices through FileReaderSync; the file is never copied
 * into JS memory); elsewhere they are copied into h5wasm's in-memory file system.
 */
import { StError, type StFile, type StHdf5Handle } from '../types.ts';

let mountCounter = 0;

async function openBrowserHdf5(file: Blob, name: string, display: string): Promise<StHdf5Handle> {
  const h5wasm = (await import('h5wasm')).default;
  const { FS } = await h5wasm.ready;
  const inWorker = typeof (globalThis as { FileReaderSync?: unknown }).FileReaderSync === 'function';
  const dir = `/st-${++mountCounter}`;
  FS.mkdir(dir);
  let unmount = () => {};
  if (inWorker && FS.filesystems.WORKERFS) {
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
export function getBrowserStFile(file: Blob & { name: string; webkitRelativePath?: string }, relativePath?: string): StFile {
  const path = relativePath ?? file.webkitRelativePath ?? '';
  const name = file.name;
  return {
    name,
    path,
    size: file.size,
    read: async () => new Uint8Array(await file.arrayBuffer()),
    readRange: async (start: number, end: number) => new Uint8Array(await file.slice(start, end).arrayBuffer()),
    openHdf5: () => openBrowserHdf5(file, name.replace(/[^A-Za-z0-9._-]/g, '_'), path || name),
  };
}

export function getBrowserStFiles(files: (Blob & { name: string; webkitRelativePath?: string })[], paths?: string[]): StFile[] {
  return files.map((f, i) => getBrowserStFile(f, paths?.[i]));
}
