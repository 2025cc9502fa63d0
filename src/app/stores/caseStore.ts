import { create } from 'zustand';

/**
 * A case: a slide plus its spatial-transcriptomics files, as described by a case.json
 * (the bundled demo is public/demo/case.json). The ST panel reads `st` from here.
 */
export interface CaseInfo {
  name: string;
  /** Absolute URL of the slide. */
  slideUrl: string;
  /** Absolute URLs of the ST files (counts, spot table). */
  stUrls: string[];
  /** um/px recorded with the case, used when the slide file has none. */
  mpp: number | null;
  source: string;
}

export interface CaseState {
  current: CaseInfo | null;
  setCase(current: CaseInfo | null): void;
}

export const useCaseStore = create<CaseState>()((set) => ({
  current: null,
  setCase: (current) => set({ current }),
}));
