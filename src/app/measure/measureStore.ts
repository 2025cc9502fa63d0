/**
 * The ruler: whether it is on, the line being drawn (its first end and where the pointer is) and
 * the lines measured on the open slide.
 */
import { create } from 'zustand';
import type { Measurement, Point } from './measure';

export interface MeasureState {
  active: boolean;
  /** the first end of the line being drawn (null: none) */
  start: Point | null;
  /** where the pointer is while a line is drawn (level-0 px) */
  cursor: Point | null;
  lines: Measurement[];
  setActive(active: boolean): void;
  /** a click on the slide: the first end of a line, or its second end (the line is kept) */
  click(p: Point): void;
  setCursor(p: Point | null): void;
  /** drop the line being drawn */
  cancel(): void;
  remove(id: number): void;
  clear(): void;
}

let nextId = 1;

export const useMeasureStore = create<MeasureState>()((set, get) => ({
  active: false,
  start: null,
  cursor: null,
  lines: [],
  setActive: (active) => set({ active, start: null, cursor: null }),
  click: (p) => {
    const { start, lines } = get();
    if (!start) set({ start: p, cursor: p });
    else if (p.x !== start.x || p.y !== start.y) set({ start: null, cursor: null, lines: [...lines, { id: nextId++, a: start, b: p }] });
  },
  setCursor: (cursor) => set({ cursor }),
  cancel: () => set({ start: null, cursor: null }),
  remove: (id) => set((s) => ({ lines: s.lines.filter((m) => m.id !== id) })),
  clear: () => set({ lines: [], start: null, cursor: null }),
}));
