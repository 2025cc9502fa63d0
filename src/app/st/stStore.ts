import { create } from 'zustand';
import type { Affine, Point } from '../../core/st/registration';
import type { StSummary } from '../../core/st/summary';
import type { StDataset } from '../../core/st/types';
import type { ContinuousMapId } from '../../overlay/colour';

/**
 * Where spot colours come from. 'score' is for model outputs (one value per spot, in the
 * applied dataset's spot order): a later helper sets `{ kind: 'score', values, label }` with
 * `useStStore.getState().setColourSource(...)` and the legend and tooltips follow.
 */
export type ColourSource =
  | { kind: 'uniform' }
  | { kind: 'gene'; gene: string }
  | { kind: 'annotation'; column: string }
  | { kind: 'score'; values: Float32Array; label: string; note?: string };

export type DisplayTransform = 'raw' | 'log1p' | 'cp10k' | 'log1p-cp10k';

export interface StBannerError {
  file: string;
  problem: string;
  hint: string;
}

export interface StLoading {
  id: number;
  label: string;
  fraction: number;
  message: string;
}

/** A parsed dataset shown as "recognised" before the user applies it. */
export interface StPending {
  dataset: StDataset;
  summary: StSummary;
  /** file names (relative paths) of the drop, for the registration key */
  fileNames: string[];
  /** notes the app adds (frame chosen, image opened as slide, spots outside the slide, ...) */
  notes: string[];
  /** the dropped files, to read them again with another Visium HD bin size */
  files: File[];
}

export interface RegistrationParams {
  scale: number;
  rotationDeg: number;
  flipX: boolean;
  flipY: boolean;
  offsetX: number;
  offsetY: number;
}

export const DEFAULT_REGISTRATION: RegistrationParams = { scale: 1, rotationDeg: 0, flipX: false, flipY: false, offsetX: 0, offsetY: 0 };

export interface LandmarkPair {
  /** position in the ST frame (before registration), level-0 px of the ST positions */
  st: Point;
  /** where it belongs on the slide, level-0 px */
  slide: Point;
}

export interface RegistrationState {
  params: RegistrationParams;
  /** least-squares affine from landmarks; when set it replaces the typed parameters */
  landmarkAffine: Affine | null;
  landmarks: LandmarkPair[];
  /** per-pair residuals (level-0 px) and RMS of the last fit */
  fit: { residualsPx: number[]; rmsPx: number } | null;
}

export const EMPTY_REGISTRATION: RegistrationState = { params: DEFAULT_REGISTRATION, landmarkAffine: null, landmarks: [], fit: null };

/** "Add pair" workflow: first click picks the ST point, the second where it belongs on the tissue. */
export type LandmarkPicking = { step: 'st' } | { step: 'slide'; st: Point } | null;

export interface StDisplay {
  visible: boolean;
  /** 0..1 */
  opacity: number;
  mode: 'fill' | 'outline';
}

export interface StColourSettings {
  source: ColourSource;
  map: ContinuousMapId;
  transform: DisplayTransform;
  /** user-set legend range; null = automatic (1st-99th percentile) */
  range: [number, number] | null;
}

export interface StState {
  /** the applied dataset (drawn); replaced only by Apply */
  dataset: StDataset | null;
  fileNames: string[];
  /** key for the saved registration (slide name + ST file names) */
  registrationKey: string | null;
  pending: StPending | null;
  loading: StLoading | null;
  error: StBannerError | null;
  display: StDisplay;
  colour: StColourSettings;
  registration: RegistrationState;
  picking: LandmarkPicking;
  /** pinned tooltips: spot indices */
  pinned: number[];
  setLoading(loading: StLoading | null): void;
  setError(error: StBannerError | null): void;
  setPending(pending: StPending | null): void;
  apply(dataset: StDataset, fileNames: string[], registrationKey: string | null, registration: RegistrationState): void;
  setDisplay(patch: Partial<StDisplay>): void;
  setColourSource(source: ColourSource): void;
  setColour(patch: Partial<StColourSettings>): void;
  setRegistration(registration: RegistrationState): void;
  setPicking(picking: LandmarkPicking): void;
  pin(index: number): void;
  unpin(index: number): void;
}

export const useStStore = create<StState>()((set) => ({
  dataset: null,
  fileNames: [],
  registrationKey: null,
  pending: null,
  loading: null,
  error: null,
  display: { visible: true, opacity: 0.8, mode: 'fill' },
  colour: { source: { kind: 'uniform' }, map: 'viridis', transform: 'log1p-cp10k', range: null },
  registration: EMPTY_REGISTRATION,
  picking: null,
  pinned: [],
  setLoading: (loading) => set({ loading }),
  setError: (error) => set({ error }),
  setPending: (pending) => set({ pending }),
  apply: (dataset, fileNames, registrationKey, registration) =>
    set((s) => ({
      dataset,
      fileNames,
      registrationKey,
      registration,
      pending: null,
      picking: null,
      pinned: [],
      error: null,
      // a score belongs to the previous spots; a gene or column may not exist in the new data
      colour: { ...s.colour, source: { kind: 'uniform' }, range: null },
    })),
  setDisplay: (patch) => set((s) => ({ display: { ...s.display, ...patch } })),
  setColourSource: (source) => set((s) => ({ colour: { ...s.colour, source, range: null } })),
  setColour: (patch) => set((s) => ({ colour: { ...s.colour, ...patch } })),
  setRegistration: (registration) => set({ registration }),
  setPicking: (picking) => set({ picking }),
  pin: (index) => set((s) => (s.pinned.includes(index) ? s : { pinned: [...s.pinned, index] })),
  unpin: (index) => set((s) => ({ pinned: s.pinned.filter((i) => i !== index) })),
}));
