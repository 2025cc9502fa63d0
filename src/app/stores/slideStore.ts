import type { MppSource, SlideMetadata } from '../../core/slide/types';
import type { SlideHandle } from '../../workers/slide-client';
import { create } from 'zustand';

/** What the user asked to open, for messages and for the URL bar. */
export interface OpenRequest {
  /** Short human name: file name, folder name or URL. */
  label: string;
  /** Set when the slide came from a URL (?slide= or the URL box). */
  url?: string;
}

export interface LoadingState {
  label: string;
  startedAt: number;
  /** Incremented per request so a late result of a cancelled open can be recognised. */
  id: number;
  /** long opening work (indexing a big JPEG): what and how far */
  progress?: { stage: string; fraction: number };
}

export interface OpenError {
  /** Which file or URL. */
  file: string;
  /** What is wrong and what to do (the slide client's user-facing message). */
  message: string;
}

export interface SlideState {
  /** The open slide; replaced only after a new one opened successfully. */
  handle: SlideHandle | null;
  /** Effective metadata of the open slide: the handle's, with a user-set or case um/px applied. */
  meta: SlideMetadata | null;
  source: OpenRequest | null;
  loading: LoadingState | null;
  error: OpenError | null;
  setLoading(loading: LoadingState | null): void;
  setError(error: OpenError | null): void;
  /** Swap in a newly opened slide; returns the handle it replaced (the caller closes it). */
  swap(handle: SlideHandle, source: OpenRequest, mppFallback?: { mpp: number; source: MppSource }): SlideHandle | null;
  /** The user typed a um/px value (marked 'user'). */
  setUserMpp(mpp: number | null): void;
}

export function getEffectiveMeta(meta: SlideMetadata, fallback?: { mpp: number; source: MppSource }): SlideMetadata {
  if (meta.mpp != null && meta.mpp > 0) return meta;
  if (fallback && fallback.mpp > 0) return { ...meta, mpp: fallback.mpp, mppSource: fallback.source };
  return { ...meta, mpp: null, mppSource: 'none' };
}

export const useSlideStore = create<SlideState>()((set, get) => ({
  handle: null,
  meta: null,
  source: null,
  loading: null,
  error: null,
  setLoading: (loading) => set({ loading }),
  setError: (error) => set({ error }),
  swap: (handle, source, mppFallback) => {
    const previous = get().handle;
    set({ handle, source, meta: getEffectiveMeta(handle.meta, mppFallback), error: null, loading: null });
    return previous === handle ? null : previous;
  },
  setUserMpp: (mpp) => {
    const { meta, handle } = get();
    if (!meta || !handle) return;
    if (mpp == null || !(mpp > 0)) {
      set({ meta: getEffectiveMeta(handle.meta) });
      return;
    }
    set({ meta: { ...meta, mpp, mppSource: 'user' } });
  },
}));
