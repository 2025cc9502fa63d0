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

export type StPlatform = 'visium' | 'legacy-st' | 'anndata' | 'csv';

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
}

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
