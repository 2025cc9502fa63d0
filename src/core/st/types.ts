import type { File as H5File } from 'h5wasm';

/**
 * The one in-memory model for spatial transcriptomics, whatever the file format
 * (10x h5 / MEX, AnnData h5ad, legacy ST, CSV). Typed arrays only: no per-spot objects.
 */

/** Spots x genes, compressed sparse rows (row = spot). Raw counts. */
export interface CsrMatrix {
  nRows: number;
  nCols: number;
  /** length nRows + 1 */
  indptr: Int32Array | Float64Array;
  /** column (gene) index of each stored value */
  indices: Int32Array;
  data: Float32Array;
}

export type AnnotationColumn =
  | { kind: 'categorical'; categories: string[]; codes: Int32Array /* -1 = missing */ }
  | { kind: 'numeric'; values: Float64Array };

export interface SpotTable {
  /** spot id as in the files: barcode for 10x, `XxY` for legacy ST */
  ids: string[];
  /** centre in slide level-0 pixels (after the frame transform) */
  x: Float64Array;
  y: Float64Array;
  /** 1 = under tissue */
  inTissue: Uint8Array;
  /** spot diameter in slide level-0 pixels (NaN when unknown) */
  diameterPx: number;
  annotations: Record<string, AnnotationColumn>;
}

export interface GeneTable {
  /** symbol per column (may repeat in the file; see `duplicates`) */
  symbols: string[];
  /** Ensembl id per column, '' when unknown */
  ids: string[];
  /** symbols that occurred more than once, with how they were resolved */
  duplicates: string[];
}

export type StPlatform = 'visium' | 'visium-hd' | 'legacy-st' | 'anndata' | 'csv';

/** How the files were read (one per loader in the format registry, src/core/st/detect.ts). */
export type StFormatId = 'visium-h5' | 'visium-mex' | 'visium-spots' | 'anndata' | 'legacy-st' | 'csv-wide' | 'csv-long';

/** Image frames of a Space Ranger / scanpy dataset: full resolution, hires (~2000 px), lowres (~600 px). */
export type StFrameName = 'fullres' | 'hires' | 'lowres';

/** An image that came with the ST files (Space Ranger spatial/ PNGs, AnnData uns/spatial images). */
export interface StImageRef {
  /** 'hires' | 'lowres' */
  name: StFrameName;
  /** image pixels per full-resolution pixel (the scalefactor); 1 for fullres */
  scale: number;
  width: number;
  height: number;
  /** relative path (or name) of the image file among the input files; '' when embedded */
  file: string;
  /** HDF5 path of an image array embedded in an .h5ad ('' for files) */
  embedded: string;
}

/** Where `spots.diameterPx` came from. */
export type StDiameterSource = 'file' | 'mpp' | 'pitch' | 'column' | 'unknown';

export interface StDataset {
  platform: StPlatform;
  /** spots x genes, raw counts; rows follow `spots` */
  matrix: CsrMatrix;
  spots: SpotTable;
  genes: GeneTable;
  /** the coordinate frame the positions were given in and how they were mapped to slide pixels */
  frame: { name: string; scale: number };
  /** centre-to-centre spot pitch in micrometres for the platform (Visium 100, legacy ST 200) */
  pitchUm: number;
  /** which file gave what */
  files: { name: string; role: string }[];
  warnings: string[];
  /** which loader read the files */
  format?: StFormatId;
  /** images that came with the files (report only; the app may open the hires one as the slide) */
  images?: StImageRef[];
  /** scale from full-resolution pixels to each frame the files define (fullres is always 1) */
  frameScales?: Partial<Record<StFrameName, number>>;
  /** spot diameter in full-resolution pixels when the files give it (Space Ranger spot_diameter_fullres) */
  spotDiameterFullres?: number;
  diameterSource?: StDiameterSource;
  /** the platform's spot diameter in um (Visium 55, legacy ST 100), when the platform is known */
  spotDiameterUm?: number;
  /** Visium HD: the bin size read, the side of the squares they were summed into (um), and the bin grid's angle on the full-resolution image (degrees, x towards y) */
  hdBins?: { nativeUm: number; binUm: number; angleDeg: number };
}

/** Options of `loadStDataset` (src/core/st/load.ts) and of the worker client. */
export interface LoadStOptions {
  /** frame of the image that is open as the slide; positions and diameter are mapped into it (default fullres) */
  targetFrame?: StFrameName;
  /** um per slide level-0 pixel, when known: converts platform spot diameters to pixels */
  slideMpp?: number | null;
  /** keep spots that are not under tissue (flagged inTissue = 0); default false: they are dropped */
  includeOffTissue?: boolean;
  /**
   * Visium HD: side in um of the square bins the native bins are summed into (default 96, the
   * default model's field of view; the native size, e.g. 8, keeps the native bins)
   */
  hdBinUm?: number;
  /** legacy ST / several samples dropped together: which section (e.g. 'B4') to load */
  section?: string;
  onProgress?: (fraction: number, message: string) => void;
  signal?: AbortSignal;
  /**
   * legacy ST counts without a spot file: place the spots at the array positions of their ids (in
   * array units, not pixels of any image) instead of refusing; the CLI's gene-only predict sets it
   */
  allowArrayPositions?: boolean;
}

/**
 * One input file, whatever the platform: a dropped File in the browser (src/core/st/files/browser.ts),
 * a path on disk in Node (src/core/st/files/node.ts), bytes in memory (src/core/st/files/bytes.ts).
 */
export interface StFile {
  /** base name, e.g. 'tissue_positions.csv' */
  readonly name: string;
  /** relative path inside a dropped folder including the name, e.g. 'outs/spatial/tissue_positions.csv'; '' for a lone file */
  readonly path: string;
  readonly size: number;
  read(): Promise<Uint8Array>;
  /** bytes [start, end) (for sniffing magic numbers without reading the whole file) */
  readRange(start: number, end: number): Promise<Uint8Array>;
  /** open as HDF5 without copying the file into JS memory where the platform allows it */
  openHdf5?(): Promise<StHdf5Handle>;
}

/** An open HDF5 file (h5wasm); `close()` releases it (and unmounts it in a worker). */
export interface StHdf5Handle {
  readonly file: H5File;
  close(): void;
}

/** A user-facing error: which file, what is wrong, what to do. */
export class StError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly hint: string,
  ) {
    super(`${file}: ${problem}${hint ? ` ${hint}` : ''}`);
    this.name = 'StError';
  }
}
