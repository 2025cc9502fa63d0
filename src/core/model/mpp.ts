/**
 * Which um/px the pipeline uses for a slide: a value the user gave (`--mpp`, or set in the UI)
 * overrides; else the slide file's; else the ST spot grid pitch (src/core/st/pitch.ts: median
 * distance to grid neighbours in level-0 px vs the platform's pitch: 200 um legacy ST, 100 um Visium).
 */
import type { MppSource, SlideMetadata } from '../slide/types.ts';
import { getMppFromSpotPitch } from '../st/pitch.ts';
import type { StDataset } from '../st/types.ts';

/**
 * um/px assumed for a slide with none (a plain image without ST spots and no value given): a 20x
 * scan. Only the dense histology heatmap runs on it (CLI `heatmap`, the app), and both say so.
 */
export const ASSUMED_MPP = 0.5;

export interface MppResolution {
  mpp: number | null;
  source: MppSource;
  /** one line saying where the value came from */
  detail: string;
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
    const p = getMppFromSpotPitch(st.spots, st.pitchUm);
    if (Number.isFinite(p.mpp) && p.mpp > 0) {
      return { mpp: p.mpp, source: 'st-pitch', detail: `${p.mpp.toFixed(4)} um/px from the ST spot pitch (grid pitch ${p.pitchPx.toFixed(1)} px = ${st.pitchUm} um, ${st.platform})` };
    }
  }
  return { mpp: null, source: 'none', detail: 'unknown um/px: the slide has none, no --mpp was given and there are no ST spots to measure' };
}
