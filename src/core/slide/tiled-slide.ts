/**
 * What every format shares: openslide's level/downsample rules and read_region built from a
 * level's tile grid. A format implements `decodeTile` (one native tile, any size up to the
 * grid's) and gets `readTile`/`readRegion` with a byte-bounded decoded-tile cache.
 */
import { clearOutside, blit, createRgba, crop } from '../image/rgba.ts';
import { throwIfAborted } from './bytes/byte-source.ts';
import { ByteLruCache } from './lru-cache.ts';
import { type RgbaImage, SlideError, type SlideLevel, type SlideMetadata, type SlideSource } from './types.ts';

/** Default memory bound of the decoded-tile cache of one slide (bytes). */
export const DEFAULT_TILE_CACHE_BYTES = 256 * 1024 * 1024;

/** openslide's downsample of a level: the mean of the width and height ratios to level 0. */
export function levelDownsample(w0: number, h0: number, w: number, h: number): number {
  return (w0 / w + h0 / h) / 2;
}

export function makeLevels(sizes: { width: number; height: number; tileWidth: number; tileHeight: number }[]): SlideLevel[] {
  const [l0] = sizes;
  return sizes.map((s, i) => ({
    width: s.width,
    height: s.height,
    downsample: i === 0 ? 1 : levelDownsample(l0.width, l0.height, s.width, s.height),
    tileWidth: s.tileWidth,
    tileHeight: s.tileHeight,
  }));
}

export abstract class TiledSlide implements SlideSource {
  abstract readonly meta: SlideMetadata;
  protected readonly tileCache: ByteLruCache<RgbaImage>;

  constructor(cacheBytes: number = DEFAULT_TILE_CACHE_BYTES) {
    this.tileCache = new ByteLruCache<RgbaImage>(cacheBytes, (img) => img.data.byteLength);
  }

  /**
   * Decode one tile of the level's grid. The result may be the full grid tile (pixels past
   * the level's edge are cleared by the caller) or already cropped to the level.
   */
  protected abstract decodeTile(level: number, col: number, row: number, signal?: AbortSignal): Promise<RgbaImage>;

  abstract readAssociated(name: string, signal?: AbortSignal): Promise<RgbaImage>;

  close(): void {
    this.tileCache.clear();
  }

  /** The part of the level a grid tile covers: its origin and size, cropped at the level's edge. */
  protected getTileRect(level: number, col: number, row: number): { x: number; y: number; w: number; h: number } {
    const l = this.meta.levels[level];
    const x = col * l.tileWidth;
    const y = row * l.tileHeight;
    return { x, y, w: Math.min(l.tileWidth, l.width - x), h: Math.min(l.tileHeight, l.height - y) };
  }

  protected checkLevel(level: number): SlideLevel {
    const l = this.meta.levels[level];
    if (!Number.isInteger(level) || !l) {
      throw new SlideError(this.meta.name, `has no level ${level} (levels 0-${this.meta.levels.length - 1}).`, 'Pick an existing level.');
    }
    return l;
  }

  /** A tile clipped like openslide (transparent past the level's right/bottom edge), uncropped. */
  private gridTile(level: number, col: number, row: number, signal?: AbortSignal): Promise<RgbaImage> {
    const l = this.meta.levels[level];
    return this.tileCache.getOrCreate(`${level}/${col}/${row}`, async () => {
      const img = await this.decodeTile(level, col, row, signal);
      const validW = Math.min(l.tileWidth, l.width - col * l.tileWidth);
      const validH = Math.min(l.tileHeight, l.height - row * l.tileHeight);
      if (img.width > validW || img.height > validH) clearOutside(img, validW, validH);
      return img;
    });
  }

  async readTile(level: number, col: number, row: number, signal?: AbortSignal): Promise<RgbaImage> {
    const l = this.checkLevel(level);
    const cols = Math.ceil(l.width / l.tileWidth);
    const rows = Math.ceil(l.height / l.tileHeight);
    if (!Number.isInteger(col) || !Number.isInteger(row) || col < 0 || row < 0 || col >= cols || row >= rows) {
      throw new SlideError(this.meta.name, `has no tile (${col}, ${row}) at level ${level} (grid ${cols} x ${rows}).`, 'Request a tile inside the grid.');
    }
    const img = await this.gridTile(level, col, row, signal);
    const w = Math.min(l.tileWidth, l.width - col * l.tileWidth);
    const h = Math.min(l.tileHeight, l.height - row * l.tileHeight);
    return crop(img, 0, 0, w, h);
  }

  /**
   * openslide read_region: (x, y) in level-0 pixels, (width, height) in level pixels; pixels
   * outside the level are transparent. Level coordinates are x / downsample rounded to the
   * nearest pixel (openslide paints a sub-pixel translate there; for integer downsamples and
   * multiples of them the two agree exactly).
   */
  async readRegion(level: number, x: number, y: number, width: number, height: number, signal?: AbortSignal): Promise<RgbaImage> {
    const l = this.checkLevel(level);
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
      throw new SlideError(this.meta.name, `cannot read a region of ${width} x ${height} pixels.`, 'Width and height must be non-negative integers.');
    }
    if (width * height > 256 * 1024 * 1024) {
      throw new SlideError(this.meta.name, `region of ${width} x ${height} pixels is too large to read at once.`, 'Read it in smaller pieces.');
    }
    const out = createRgba(width, height);
    const ds = l.downsample;
    // openslide: negative coordinates shift the destination by trunc(-x / ds) and read from 0
    let dx = 0;
    let dy = 0;
    let lx: number;
    let ly: number;
    if (x < 0) {
      dx = Math.trunc(-x / ds);
      lx = 0;
    } else lx = Math.round(x / ds - 1e-9);
    if (y < 0) {
      dy = Math.trunc(-y / ds);
      ly = 0;
    } else ly = Math.round(y / ds - 1e-9);
    const w = width - dx;
    const h = height - dy;
    if (w <= 0 || h <= 0) return out;
    const x1 = Math.min(lx + w, l.width);
    const y1 = Math.min(ly + h, l.height);
    if (lx >= l.width || ly >= l.height) return out;
    await this.blitLevel(level, lx, ly, x1, y1, out, dx, dy, signal);
    return out;
  }

  /**
   * Copy level pixels [lx, x1) x [ly, y1) into `out` at (dx, dy): by default from the level's tiles
   * (through the decoded-tile cache); a format that holds whole levels in memory copies directly.
   */
  protected async blitLevel(level: number, lx: number, ly: number, x1: number, y1: number, out: RgbaImage, dx: number, dy: number, signal?: AbortSignal): Promise<void> {
    const l = this.meta.levels[level];
    const c0 = Math.floor(lx / l.tileWidth);
    const c1 = Math.floor((x1 - 1) / l.tileWidth);
    const r0 = Math.floor(ly / l.tileHeight);
    const r1 = Math.floor((y1 - 1) / l.tileHeight);
    const jobs: Promise<void>[] = [];
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        jobs.push(
          this.gridTile(level, c, r, signal).then((tile) => {
            throwIfAborted(signal);
            const tx = c * l.tileWidth;
            const ty = r * l.tileHeight;
            // part of this tile inside both the level and the requested window
            const sx = Math.max(lx, tx) - tx;
            const sy = Math.max(ly, ty) - ty;
            const ex = Math.min(x1, tx + l.tileWidth) - tx;
            const ey = Math.min(y1, ty + l.tileHeight) - ty;
            blit(tile, sx, sy, ex - sx, ey - sy, out, dx + tx + sx - lx, dy + ty + sy - ly);
          }),
        );
      }
    }
    await Promise.all(jobs);
  }
}
