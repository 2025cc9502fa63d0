/**
 * Measuring: which tool is on (the ruler or the area), the points of the shape being drawn and
 * where the pointer is, and the measurements made on the open slide.
 */
import { create } from 'zustand';
import type { MeasureKind, Measurement, Point } from './measure';

export interface MeasureState {
  /** the tool that clicks on the slide go to (null: none) */
  tool: MeasureKind | null;
  /** the points of the shape being drawn */
  draft: Point[];
  /** where the pointer is while a shape is drawn (level-0 px) */
  cursor: Point | null;
  items: Measurement[];
  setTool(tool: MeasureKind | null): void;
  /**
   * A click on the slide. Ruler: a line's first end, then its second (the line is kept). Area: a
   * vertex, or, within `closeRadius` (level-0 px) of the first of three or more, the polygon closed.
   */
  click(p: Point, closeRadius: number): void;
  /** close the polygon being drawn (three or more points) */
  finish(): void;
  setCursor(p: Point | null): void;
  /** drop the shape being drawn */
  cancel(): void;
  remove(id: number): void;
  clear(): void;
  /** replace the measurements (those saved with a slide), with fresh ids */
  restore(items: Omit<Measurement, 'id'>[]): void;
}

let nextId = 1;

export const useMeasureStore = create<MeasureState>()((set, get) => ({
  tool: null,
  draft: [],
  cursor: null,
  items: [],
  setTool: (tool) => set({ tool, draft: [], cursor: null }),
  click: (p, closeRadius) => {
    const { tool, draft, items } = get();
    const last = draft[draft.length - 1];
    if (!tool || (last && last.x === p.x && last.y === p.y)) return;
    if (tool === 'line') {
      if (draft.length === 0) set({ draft: [p], cursor: p });
      else set({ draft: [], cursor: null, items: [...items, { id: nextId++, kind: 'line', points: [draft[0], p] }] });
      return;
    }
    if (draft.length >= 3 && Math.hypot(p.x - draft[0].x, p.y - draft[0].y) <= closeRadius) get().finish();
    else set({ draft: [...draft, p], cursor: p });
  },
  finish: () => {
    const { tool, draft, items } = get();
    if (tool === 'area' && draft.length >= 3) set({ draft: [], cursor: null, items: [...items, { id: nextId++, kind: 'area', points: draft }] });
  },
  setCursor: (cursor) => set({ cursor }),
  cancel: () => set({ draft: [], cursor: null }),
  remove: (id) => set((s) => ({ items: s.items.filter((m) => m.id !== id) })),
  clear: () => set({ items: [], draft: [], cursor: null }),
  restore: (items) => set({ items: items.map((m) => ({ ...m, id: nextId++ })), draft: [], cursor: null }),
}));
