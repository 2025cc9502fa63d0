/**
 * The set of files a user dropped (or named on the command line), each classified by name into a
 * kind, with HDF5 files sniffed by content (10x matrix, AnnData or other) and kept open once.
 */
import type { Group } from 'h5wasm';
import { getH5Dataset, getH5Group, isHdf5Bytes, loadHdf5 } from './hdf5/read.ts';
import { getTenxMatrixGroup } from './visium/h5.ts';
import { StError, type StFile, type StHdf5Handle } from './types.ts';

export type StFileKind =
  | 'hdf5'
  | 'mtx'
  | 'barcodes'
  | 'features'
  | 'positions'
  | 'positions-parquet'
  | 'scalefactors'
  | 'image-hires'
  | 'image-lowres'
  | 'selection'
  | 'labels'
  | 'table'
  | 'image'
  | 'ignored';

export interface StClassifiedFile {
  file: StFile;
  kind: StFileKind;
  /** folder of the file inside the drop ('' for lone files) */
  dir: string;
  /** display label: relative path or name */
  label: string;
}

const RULES: [RegExp, StFileKind][] = [
  [/\.(h5|hdf5|h5ad)$/i, 'hdf5'],
  [/^matrix\.mtx(\.gz)?$/i, 'mtx'],
  [/^barcodes\.tsv(\.gz)?$/i, 'barcodes'],
  [/^(features|genes)\.tsv(\.gz)?$/i, 'features'],
  [/tissue_positions(_list)?\.csv(\.gz)?$/i, 'positions'],
  [/tissue_positions\.parquet$/i, 'positions-parquet'],
  [/scalefactors_json\.json$/i, 'scalefactors'],
  [/tissue_hires_image\.png$/i, 'image-hires'],
  [/tissue_lowres_image\.png$/i, 'image-lowres'],
  [/_selection\.tsv(\.gz)?$/i, 'selection'],
  [/_labeled_coordinates\.tsv(\.gz)?$/i, 'labels'],
  [/\.(csv|tsv|txt)(\.gz)?$/i, 'table'],
  [/\.(jpe?g|png|tiff?)$/i, 'image'],
];

export function getStFileKind(name: string): StFileKind {
  for (const [re, kind] of RULES) if (re.test(name)) return kind;
  return 'ignored';
}

export type Hdf5Content = 'tenx' | 'anndata' | 'other';

export class StFileSet {
  readonly items: StClassifiedFile[];
  private readonly handles = new Map<StFile, StHdf5Handle>();

  constructor(files: StFile[]) {
    this.items = files.map((file) => {
      const path = file.path || '';
      const cut = path.lastIndexOf('/');
      return { file, kind: getStFileKind(file.name), dir: cut >= 0 ? path.slice(0, cut) : '', label: path || file.name };
    });
  }

  of(kind: StFileKind): StClassifiedFile[] {
    return this.items.filter((f) => f.kind === kind);
  }

  /** Open (once) an HDF5 file; a file without the HDF5 signature is a clear error. */
  async openHdf5(item: StClassifiedFile): Promise<Group> {
    const cached = this.handles.get(item.file);
    if (cached) return cached.file;
    if (item.file.size === 0) throw new StError(item.label, 'is empty.', 'Copy the file again; it has no content.');
    const head = await item.file.readRange(0, 8);
    if (!isHdf5Bytes(head)) {
      throw new StError(item.label, 'is not an HDF5 file (no HDF5 signature).', 'Give the .h5 / .h5ad file as written by Space Ranger or AnnData (not renamed from another format).');
    }
    const h = await loadHdf5(item.file);
    this.handles.set(item.file, h);
    return h.file;
  }

  /** What an HDF5 file holds, judged from its groups. */
  async getHdf5Content(item: StClassifiedFile): Promise<Hdf5Content> {
    const root = await this.openHdf5(item);
    if (getTenxMatrixGroup(root)) return 'tenx';
    const hasX = !!(getH5Group(root, 'X') || getH5Dataset(root, 'X'));
    if (hasX && (getH5Group(root, 'obs') || getH5Dataset(root, 'obs'))) return 'anndata';
    return 'other';
  }

  close(): void {
    for (const h of this.handles.values()) {
      try {
        h.close();
      } catch {
        // already closed
      }
    }
    this.handles.clear();
  }
}
