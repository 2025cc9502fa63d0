/**
 * Coarser levels for a slide that has none small enough to look at whole: a single-resolution
 * tiled, striped or OME-TIFF (a microscope's or an image tool's export), or a pyramid that stops
 * early. Without them a viewer's first view of a 368 Mpx single-level TIFF asked for all 1,400 of
 * its full-resolution tiles (45 s in Chromium and gigabytes of bitmaps).
 *
 * The levels continue the 2x2 box halving below the source's smallest level, down to one tile.
 * One of them (the overview) is built once and kept, the coarser ones are halved from it, and any
 * between the source's smallest level and the overview from the 2x2-tile block of the level above
 * (aligned to even coordinates: equal to halving the smallest level whole). Where the source stores
 * its smallest level as JPEG tiles or strips (`loadDcLevel`: most single-level TIFFs), the overview
 * is 1/8 of it or coarser, taken from the blocks' DC coefficients without decoding anything
 * (libjpeg's 1/8 scaling; within a grey level of the halvings); otherwise it is the first level of
 * at most `keptPixels`, built in one pass over the smallest level in 8192 x 1024 px pieces (exact).
 * Source levels are read straight from the source.
 */
import { crop } from '../../image/rgba.ts';
import { makeLevels, TiledSlide } from '../tiled-slide.ts';
import type { RgbaImage, SlideMetadata, SlideSource } from '../types.ts';
import { getHalvedImage, getHalvingSizes, loadHalvedInPieces } from './halving.ts';

const TILE = 512;
/**
 * A source whose smallest level is longer than this on a side gets synthetic levels (a viewer's
 * home view of it would take more than 64 tiles of 512 px; none of the test slides here is wrapped).
 */
export const SYNTHETIC_LEVELS_ABOVE_PX = 4096;
const KEPT_PIXELS = 2 ** 25;

export interface SyntheticLevelsOptions {
  /** the overview kept in memory has at most this many pixels (default 2^25, 128 MiB as RGBA) */
  keptPixels?: number;
  cacheBytes?: number;
  /** false: never ask the source for DC-reduced levels (every synthetic level exact halvings) */
  fromDc?: boolean;
}

export class SyntheticLevelsSlide extends TiledSlide {
  readonly meta: SlideMetadata;
  /** index of the source's smallest level: synthetic levels follow it */
  private readonly base: number;
  /** the kept overview level and every coarser one, once built */
  private readonly kept: (Promise<RgbaImage> | undefined)[] = [];
  private readonly keptLevel: number;

  private constructor(
    private readonly inner: SlideSource,
    meta: SlideMetadata,
    keptLevel: number,
    /** whether the kept level is asked of the source's DC coefficients first (it is 3 or more levels down) */
    private readonly fromDc: boolean,
    cacheBytes?: number,
  ) {
    super(cacheBytes);
    this.meta = meta;
    this.base = inner.meta.levels.length - 1;
    this.keptLevel = keptLevel;
  }

  /** The source itself when its smallest level is small enough, else the source with synthetic levels. */
  static wrap(inner: SlideSource, options: SyntheticLevelsOptions = {}): SlideSource {
    const levels = inner.meta.levels;
    const last = levels[levels.length - 1];
    if (Math.max(last.width, last.height) <= SYNTHETIC_LEVELS_ABOVE_PX) return inner;
    const sizes = [
      ...levels.map((l) => ({ width: l.width, height: l.height, tileWidth: l.tileWidth, tileHeight: l.tileHeight })),
      ...getHalvingSizes(last.width, last.height, TILE)
        .slice(1)
        .map((s) => ({ ...s, tileWidth: TILE, tileHeight: TILE })),
    ];
    const limit = options.keptPixels ?? KEPT_PIXELS;
    let keptLevel = sizes.findIndex((s, i) => i >= levels.length && s.width * s.height <= limit);
    if (keptLevel < 0) keptLevel = sizes.length - 1;
    // where the source can reduce its smallest level from JPEG DC coefficients (1/8 and coarser),
    // the kept level is at least 3 below it: the overview then needs no decode at all
    const base = levels.length - 1;
    const fromDc = typeof inner.loadDcLevel === 'function' && options.fromDc !== false && sizes.length > base + 3;
    if (fromDc) keptLevel = Math.max(keptLevel, base + 3);
    const meta: SlideMetadata = {
      ...inner.meta,
      levels: makeLevels(sizes).map((l, i) => (i < levels.length ? levels[i] : l)),
      properties: { ...inner.meta.properties, 'fusescope.synthetic-levels': String(sizes.length - levels.length) },
    };
    return new SyntheticLevelsSlide(inner, meta, keptLevel, fromDc, options.cacheBytes);
  }

  override readRegion(level: number, x: number, y: number, width: number, height: number, signal?: AbortSignal): Promise<RgbaImage> {
    if (level <= this.base) return this.inner.readRegion(level, x, y, width, height, signal);
    return super.readRegion(level, x, y, width, height, signal);
  }

  override readTile(level: number, col: number, row: number, signal?: AbortSignal): Promise<RgbaImage> {
    if (level <= this.base) return this.inner.readTile(level, col, row, signal);
    return super.readTile(level, col, row, signal);
  }

  readAssociated(name: string, signal?: AbortSignal): Promise<RgbaImage> {
    return this.inner.readAssociated(name, signal);
  }

  /** Pixels of a level at (x, y): of the source's smallest level straight from it, else from this slide's tiles. */
  private readLevelRect(level: number, x: number, y: number, w: number, h: number, signal?: AbortSignal): Promise<RgbaImage> {
    const ds = this.meta.levels[level].downsample;
    // readRegion takes level-0 coordinates; level coordinates come back as x / ds rounded, exactly x here
    return level === this.base ? this.inner.readRegion(level, Math.round(x * ds), Math.round(y * ds), w, h, signal) : super.readRegion(level, Math.round(x * ds), Math.round(y * ds), w, h, signal);
  }

  private loadKept(level: number, signal?: AbortSignal): Promise<RgbaImage> {
    let p = this.kept[level];
    if (!p) {
      p = level > this.keptLevel ? this.loadKept(level - 1, signal).then(getHalvedImage) : this.buildKept(signal);
      p.catch(() => {
        this.kept[level] = undefined;
      });
      this.kept[level] = p;
    }
    return p;
  }

  /**
   * The kept level: from the source's JPEG DC coefficients where it can give them (no decode), else
   * one pass over the source's smallest level in pieces, each halved down to the kept level.
   */
  private async buildKept(signal?: AbortSignal): Promise<RgbaImage> {
    const k = this.keptLevel - this.base;
    if (this.fromDc) {
      const dc = await this.inner.loadDcLevel?.(this.base, k - 3, signal);
      if (dc) return dc;
    }
    const src = this.meta.levels[this.base];
    return loadHalvedInPieces(src.width, src.height, k, (x, y, w, h) => this.readLevelRect(this.base, x, y, w, h, signal), signal);
  }

  protected async decodeTile(level: number, col: number, row: number, signal?: AbortSignal): Promise<RgbaImage> {
    const { x, y, w, h } = this.getTileRect(level, col, row);
    if (level >= this.keptLevel) return crop(await this.loadKept(level, signal), x, y, w, h);
    // halved from the level above's 2w x 2h block
    const above = this.meta.levels[level - 1];
    const block = await this.readLevelRect(level - 1, 2 * x, 2 * y, Math.min(2 * TILE, above.width - 2 * x), Math.min(2 * TILE, above.height - 2 * y), signal);
    return getHalvedImage(block);
  }

  override close(): void {
    super.close();
    this.kept.length = 0;
    this.inner.close();
  }
}
