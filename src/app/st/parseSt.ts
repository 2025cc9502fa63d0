/** Parse dropped ST files into an StDataset in the ST worker (src/workers/st-client.ts). */
import type { LoadStOptions, StDataset } from '../../core/st/types';
import { loadStInWorker } from '../../workers/st-client';

/** Dropped files are named by their relative path ("outs/spatial/x.csv"); the ST core wants name + path. */
export function getStInputs(files: File[]): { file: File; name: string; path: string }[] {
  return files.map((f) => {
    const name = f.name.split('/').pop() ?? f.name;
    return { file: f, name, path: f.name.includes('/') ? f.name : '' };
  });
}

export function loadStFromFiles(files: File[], opts: LoadStOptions): Promise<StDataset> {
  const inputs = getStInputs(files);
  const { onProgress, signal, ...rest } = opts;
  return loadStInWorker(
    // wrapping a File in a File does not copy its bytes
    inputs.map(({ file, name }) => (name === file.name ? file : new File([file], name, { type: file.type, lastModified: file.lastModified }))),
    { ...rest, onProgress, signal, paths: inputs.map((i) => i.path) },
  );
}
