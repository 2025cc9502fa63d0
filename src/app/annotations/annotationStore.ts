/**
 * A pathologist's annotations loaded onto the slide (QuPath GeoJSON, core/regions/annotations.ts):
 * drawn as outlines and used as the reference the model's maps are measured against.
 */
import { create } from 'zustand';
import type { Annotations } from '../../core/regions/annotations';

export interface AnnotationState {
  file: string | null;
  annotations: Annotations | null;
  /** the last file that could not be read (what was loaded before stays) */
  error: { file: string; message: string } | null;
  visible: boolean;
  /** the classes counted as cancer when the user picked them (null: by their names) */
  positive: string[] | null;
  set(patch: Partial<AnnotationState>): void;
}

export const useAnnotationStore = create<AnnotationState>()((set) => ({
  file: null,
  annotations: null,
  error: null,
  visible: true,
  positive: null,
  set: (patch) => set(patch),
}));
