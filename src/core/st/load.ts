/**
 * The ST entry point: detect the format of a set of files through a registry of detectors
 * (Vitessce-style: adding a format is one folder and one line here), then load it into the one
 * StDataset model.
 */
import { anndataFormat } from './anndata/load.ts';
import { csvFormat } from './csv/load.ts';
import { StFileSet } from './file-set.ts';
import type { StFormat, StProgress } from './format.ts';
import { throwIfAborted } from './hdf5/read.ts';
import { legacyStFormat } from './legacy-st/load.ts';
import { type LoadStOptions, StError, type StDataset, type StFile } from './types.ts';
import { visiumFormat } from './visium/load.ts';

/** The registry, in tie-break order. */
export const ST_FORMATS: readonly StFormat[] = [visiumFormat, anndataFormat, legacyStFormat, csvFormat];

/** Which registered format the files are (highest detector score), or null. */
export async function loadStFormatDetection(set: StFileSet, opts: LoadStOptions = {}): Promise<{ format: StFormat; score: number } | null> {
  let best: { format: StFormat; score: number } | null = null;
  for (const format of ST_FORMATS) {
    const score = await format.detect(set, opts);
    if (score > 0 && (!best || score > best.score)) best = { format, score };
  }
  return best;
}

async function explainNoFormat(set: StFileSet): Promise<StError> {
  if (set.items.length === 0) return new StError('ST files', 'none were given.', 'Drop a Space Ranger outs/ folder, an .h5ad file, legacy ST counts + *_selection.tsv, or a CSV table.');
  for (const item of set.of('hdf5')) {
    if (item.file.size === 0) return new StError(item.label, 'is empty.', 'Copy the file again; it has no content.');
    const content = await set.getHdf5Content(item);
    if (content === 'other') {
      const root = await set.openHdf5(item);
      return new StError(
        item.label,
        `is an HDF5 file but neither a 10x feature-barcode matrix (/matrix) nor AnnData (X, obs, var); its top-level entries are: ${root.keys().slice(0, 8).join(', ') || 'none'}.`,
        'Give filtered_feature_bc_matrix.h5 from Space Ranger or an .h5ad written by anndata / scanpy.',
      );
    }
  }
  const empty = set.items.find((i) => i.file.size === 0);
  if (empty) return new StError(empty.label, 'is empty.', 'Copy the file again; it has no content.');
  const names = set.items.map((i) => i.label).slice(0, 5).join(', ');
  return new StError(
    names,
    'are not spatial-transcriptomics files FuseScope recognises.',
    'Drop a Space Ranger outs/ folder (or filtered_feature_bc_matrix.h5 + spatial/), an .h5ad, legacy ST counts + *_selection.tsv, or a CSV with spot_id, x, y and gene columns.',
  );
}

/**
 * Load a spatial-transcriptomics dataset from the given files (several files or a folder's files
 * with relative paths). Throws StError for bad input; rejects with an AbortError when cancelled.
 */
export async function loadStDataset(files: StFile[], opts: LoadStOptions = {}): Promise<StDataset> {
  const set = new StFileSet(files);
  const progress: StProgress = {
    signal: opts.signal,
    report: (fraction, message) => opts.onProgress?.(Math.max(0, Math.min(1, fraction)), message),
  };
  try {
    throwIfAborted(opts.signal);
    progress.report(0, 'Recognising files');
    const found = await loadStFormatDetection(set, opts);
    if (!found) throw await explainNoFormat(set);
    const ds = await found.format.load(set, opts, progress);
    const ignored = set.items.filter((i) => i.kind === 'ignored').map((i) => i.label);
    if (ignored.length) ds.warnings.push(`Ignored files: ${ignored.slice(0, 5).join(', ')}${ignored.length > 5 ? `, ... (${ignored.length})` : ''}.`);
    progress.report(1, 'Done');
    return ds;
  } finally {
    set.close();
  }
}
