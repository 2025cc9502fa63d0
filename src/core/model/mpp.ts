/**
 * Which um/px the pipeline uses for a slide: a value the user gave (`--mpp`, or set in the UI)
 * overrides; else the slide file's; else the ST spot pitch (median nearest-neighbour distance of
 * the spot centres in level-0 px vs the platform's pitch in um: 200 legacy ST, 100 Visium).
 */
import type { MppSource, SlideMetadata } from '../slide/types.ts';
import type { StDataset } from '../st/types.ts';
import { getNeighbourGraph } from './neighbours.ts';

export interface MppResolution {
  mpp: number | null;
  source: MppSource;
  /** one line saying where the value came from */
  detail: string;
}

/** Median nearest-neighbour distance of the spot centres (level-0 px); NaN with fewer than 2 spots. */
export function getMedianSpotSpacing(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (n < 2) return Number.NaN;
  const nn = getNeighbourGraph(x, y, 1);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = Math.hypot(x[nn[i]] - x[i], y[nn[i]] - y[i]);
  d.sort();
  return n % 2 ? d[(n - 1) / 2] : (d[n / 2 - 1] + d[n / 2]) / 2;
}

export function getMppResolution(opts: { slide?: SlideMetadata | null; userMpp?: number | null; st?: StDataset | null }): MppResolution {
  const { slide, userMpp, st } = opts;
  if (userMpp != null && Number.isFinite(userMpp) && userMpp > 0) {
    const fileNote = slide?.mpp ? ` (the slide file says ${slide.mpp.toFixed(4)})` : '';
    return { mpp: userMpp, source: 'user', detail: `${userMpp} um/px given by the user${fileNote}` };
  }
  if (slide?.mpp && slide.mpp > 0) {
    return { mpp: slide.mpp, source: 'file', detail: `${slide.mpp.toFixed(4)} um/px from the slide file (${slide.format})` };
  }
  if (st && st.spots.ids.length >= 2 && st.pitchUm > 0) {
    const spacing = getMedianSpotSpacing(st.spots.x, st.spots.y);
    if (Number.isFinite(spacing) && spacing > 0) {
      const mpp = st.pitchUm / spacing;
      return { mpp, source: 'st-pitch', detail: `${mpp.toFixed(4)} um/px from the ST spot pitch (median spacing ${spacing.toFixed(1)} px = ${st.pitchUm} um, ${st.platform})` };
    }
  }
  return { mpp: null, source: 'none', detail: 'unknown um/px: the slide has none, no --mpp was given and there are no ST spots to measure' };
}
