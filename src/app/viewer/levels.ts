import type { SlideMetadata } from '../../core/slide/types';

/**
 * One OpenSeadragon pyramid level. OSD numbers levels from 0 = smallest; slides from
 * 0 = full resolution. Levels the slide has are read tile by tile; when even the slide's
 * coarsest level is large, coarser "synthetic" levels are added that downsample a region of the
 * coarsest level (the finest synthetic level) or compose four tiles of the next finer synthetic
 * level, so a zoomed-out view needs a handful of tiles, not hundreds, and every source pixel is
 * read once.
 */
export interface OsdLevel {
  /** level width / level-0 width */
  scale: number;
  width: number;
  height: number;
  tileWidth: number;
  tileHeight: number;
  /** slide level read for this OSD level */
  slideLevel: number;
  /** true: tiles are made by reading a region of `slideLevel` and downsampling it */
  synthetic: boolean;
}

export const SYNTHETIC_TILE = 256;
/** Stop adding synthetic levels once a level fits in this many pixels. */
export const MIN_LEVEL_SIZE = 256;

export function getOsdLevels(meta: SlideMetadata): OsdLevel[] {
  const slideLevels = meta.levels.map((l, i) => ({ ...l, index: i })).sort((a, b) => a.width - b.width);
  const out: OsdLevel[] = [];
  const coarsest = slideLevels[0];
  if (coarsest) {
    const coarseScale = coarsest.width / meta.width;
    let factor = 2;
    const synthetic: OsdLevel[] = [];
    while (Math.max(coarsest.width, coarsest.height) / (factor / 2) > MIN_LEVEL_SIZE) {
      const scale = coarseScale / factor;
      synthetic.push({
        scale,
        width: Math.max(1, Math.ceil(meta.width * scale)),
        height: Math.max(1, Math.ceil(meta.height * scale)),
        tileWidth: SYNTHETIC_TILE,
        tileHeight: SYNTHETIC_TILE,
        slideLevel: coarsest.index,
        synthetic: true,
      });
      factor *= 2;
    }
    out.push(...synthetic.reverse());
  }
  for (const l of slideLevels) {
    out.push({
      scale: l.width / meta.width,
      width: l.width,
      height: l.height,
      tileWidth: l.tileWidth,
      tileHeight: l.tileHeight,
      slideLevel: l.index,
      synthetic: false,
    });
  }
  return out;
}

/**
 * The region of the slide level that a synthetic tile covers: x, y in level-0 pixels (as
 * readRegion takes them), width/height in pixels of the slide level, and the output size.
 */
export function getSyntheticRegion(
  meta: SlideMetadata,
  level: OsdLevel,
  col: number,
  row: number,
): { x: number; y: number; width: number; height: number; outWidth: number; outHeight: number } {
  const src = meta.levels[level.slideLevel];
  const srcScale = src.width / meta.width;
  const outX = col * level.tileWidth;
  const outY = row * level.tileHeight;
  const outWidth = Math.min(level.tileWidth, level.width - outX);
  const outHeight = Math.min(level.tileHeight, level.height - outY);
  const x0 = outX / level.scale;
  const y0 = outY / level.scale;
  const width = Math.min(src.width - Math.floor(x0 * srcScale), Math.ceil((outWidth / level.scale) * srcScale));
  const height = Math.min(src.height - Math.floor(y0 * srcScale), Math.ceil((outHeight / level.scale) * srcScale));
  return { x: Math.round(x0), y: Math.round(y0), width: Math.max(1, width), height: Math.max(1, height), outWidth, outHeight };
}
