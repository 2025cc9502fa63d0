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

/** A tile of the next finer level that a synthetic tile is drawn from, and where it goes. */
export interface ChildTile {
  col: number;
  row: number;
  /** top-left of the child in the synthetic tile's pixels (may be negative: child starts earlier) */
  dx: number;
  dy: number;
}

/**
 * The tiles of `finer` (the next finer OSD level, synthetic or the slide's coarsest) that cover
 * tile (col, row) of synthetic level `level`; each is drawn scaled by `ratio` (< 1). Child tile
 * grids need not line up with the synthetic grid (e.g. 240 px SVS tiles under 256 px tiles).
 */
export function getChildTiles(level: OsdLevel, finer: OsdLevel, col: number, row: number): { ratio: number; outWidth: number; outHeight: number; children: ChildTile[] } {
  const ratio = level.scale / finer.scale;
  const outX = col * level.tileWidth;
  const outY = row * level.tileHeight;
  const outWidth = Math.max(1, Math.min(level.tileWidth, level.width - outX));
  const outHeight = Math.max(1, Math.min(level.tileHeight, level.height - outY));
  const fx0 = outX / ratio;
  const fy0 = outY / ratio;
  const fx1 = Math.min(finer.width, (outX + outWidth) / ratio);
  const fy1 = Math.min(finer.height, (outY + outHeight) / ratio);
  const children: ChildTile[] = [];
  for (let r = Math.floor(fy0 / finer.tileHeight); r * finer.tileHeight < fy1; r++) {
    for (let c = Math.floor(fx0 / finer.tileWidth); c * finer.tileWidth < fx1; c++) {
      children.push({ col: c, row: r, dx: (c * finer.tileWidth - fx0) * ratio, dy: (r * finer.tileHeight - fy0) * ratio });
    }
  }
  return { ratio, outWidth, outHeight, children };
}
