/** One entry of the ST format registry (src/core/st/load.ts): detect from the dropped files, then load. */
import type { StFileSet } from './file-set.ts';
import type { LoadStOptions, StDataset } from './types.ts';

export interface StProgress {
  /** overall fraction 0..1 and what is happening */
  report(fraction: number, message: string): void;
  signal?: AbortSignal;
}

export interface StFormat {
  readonly id: 'visium' | 'anndata' | 'legacy-st' | 'csv';
  /** 0 when the files are not this format; higher scores win (ties: registry order) */
  detect(set: StFileSet, opts: LoadStOptions): Promise<number>;
  load(set: StFileSet, opts: LoadStOptions, progress: StProgress): Promise<StDataset>;
}
