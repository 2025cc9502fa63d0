/**
 * Parse dropped ST files into an StDataset. TEMPORARY: runs the ST core on the main thread
 * until src/workers/st-client.ts (the ST helper's worker client) lands; then this calls it.
 */
import { getBrowserStFile } from '../../core/st/files/browser';
import { loadStDataset } from '../../core/st/load';
import type { LoadStOptions, StDataset } from '../../core/st/types';

/** Dropped files are named by their relative path ("outs/spatial/x.csv"); the ST core wants name + path. */
export function getStInputs(files: File[]): { file: File; name: string; path: string }[] {
  return files.map((f) => {
    const name = f.name.split('/').pop() ?? f.name;
    return { file: f, name, path: f.name.includes('/') ? f.name : '' };
  });
}

export async function loadStFromFiles(files: File[], opts: LoadStOptions): Promise<StDataset> {
  const inputs = getStInputs(files).map(({ file, name, path }) => getBrowserStFile(Object.assign(file.slice(), { name }), path));
  return loadStDataset(inputs, opts);
}
