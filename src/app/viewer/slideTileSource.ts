import OpenSeadragon from 'openseadragon';
import type { SlideMetadata } from '../../core/slide/types';
import type { SlideHandle } from '../../workers/slide-client';
import { getChildTiles, getOsdLevels, type OsdLevel } from './levels';

/** The parts of OpenSeadragon 6's ImageJob we use (the bundled typings predate OSD 6). */
interface ImageJob {
  tile: { level: number; x: number; y: number };
  finish(data: unknown, request: null, dataType: string): void;
  fail(message: string, request: null): void;
}

/** The TileSource methods we override (OSD 6 signatures). */
interface TileSourceOverrides {
  getLevelScale(level: number): number;
  getNumTiles(level: number): OpenSeadragon.Point;
  getTileWidth(level: number): number;
  getTileHeight(level: number): number;
  getTileUrl(level: number, x: number, y: number): string;
  getTileHashKey(level: number, x: number, y: number): string;
  hasTransparency(): boolean;
  downloadTileStart(job: ImageJob): void;
  downloadTileAbort(job: ImageJob): void;
  equals(other: unknown): boolean;
}

let sourceCounter = 0;

/**
 * An OpenSeadragon tile source over a SlideHandle: tiles are decoded in the slide workers and
 * handed to OSD as ImageBitmaps (`job.finish(bitmap, null, 'imageBitmap')`); OSD's aborts cancel
 * the worker read through an AbortSignal.
 */
export function createSlideTileSource(handle: SlideHandle, meta: SlideMetadata = handle.meta): OpenSeadragon.TileSource {
  const levels = getOsdLevels(meta);
  const id = `fusescope-${++sourceCounter}`;
  const finest = levels[levels.length - 1];
  const source = new OpenSeadragon.TileSource({
    width: meta.width,
    height: meta.height,
    tileWidth: finest.tileWidth,
    tileHeight: finest.tileHeight,
    tileOverlap: 0,
    minLevel: 0,
    maxLevel: levels.length - 1,
    ready: true,
  } as unknown as OpenSeadragon.TileSourceOptions);
  const controllers = new WeakMap<ImageJob, AbortController>();
  const tiles = createTileCache(handle, levels);

  const level = (l: number): OsdLevel => levels[Math.max(0, Math.min(levels.length - 1, l))];
  const overrides: TileSourceOverrides = {
    getLevelScale: (l) => (l >= 0 && l < levels.length ? levels[l].scale : Number.NaN),
    getNumTiles: (l) => {
      if (l < 0 || l >= levels.length) return new OpenSeadragon.Point(0, 0);
      const v = levels[l];
      return new OpenSeadragon.Point(Math.ceil(v.width / v.tileWidth), Math.ceil(v.height / v.tileHeight));
    },
    getTileWidth: (l) => level(l).tileWidth,
    getTileHeight: (l) => level(l).tileHeight,
    // Never fetched (downloadTileStart is ours); a unique, non-http key for OSD's cache.
    getTileUrl: (l, x, y) => `${id}/${l}/${x}_${y}`,
    getTileHashKey: (l, x, y) => `${id}/${l}/${x}_${y}`,
    hasTransparency: () => false,
    downloadTileStart: (job) => {
      const { level: l, x, y } = job.tile;
      const v = levels[l];
      if (!v) {
        job.fail(`No level ${l} in this slide.`, null);
        return;
      }
      const controller = new AbortController();
      controllers.set(job, controller);
      const bitmap = v.synthetic ? tiles.getSynthetic(l, x, y) : tiles.getNative(l, x, y, controller.signal);
      bitmap.then(
        (bmp: ImageBitmap) => {
          controllers.delete(job);
          // an aborted tile stays in the cache for the next request
          if (controller.signal.aborted) return;
          job.finish(bmp, null, 'imageBitmap');
        },
        (err: unknown) => {
          controllers.delete(job);
          if (controller.signal.aborted) return;
          job.fail(err instanceof Error ? err.message : String(err), null);
        },
      );
    },
    downloadTileAbort: (job) => {
      controllers.get(job)?.abort();
      controllers.delete(job);
    },
    equals: (other) => other === source,
  };
  Object.assign(source, overrides);
  return source;
}

/** Tiles kept per slide (at most about 256 KiB each) for each of the two caches. */
const CACHE_TILES = 384;

class PromiseLru {
  private readonly map = new Map<string, Promise<ImageBitmap>>();
  get(key: string): Promise<ImageBitmap> | undefined {
    const hit = this.map.get(key);
    if (hit) {
      this.map.delete(key);
      this.map.set(key, hit);
    }
    return hit;
  }
  set(key: string, p: Promise<ImageBitmap>): void {
    this.map.set(key, p);
    p.catch(() => {
      if (this.map.get(key) === p) this.map.delete(key);
    });
    while (this.map.size > CACHE_TILES) {
      const oldest = this.map.keys().next().value;
      if (oldest === undefined) break;
      this.map.delete(oldest);
    }
  }
}

/**
 * Tiles shared by the main viewer and the navigator. Native tiles come from the slide workers
 * (OSD's own requests are abortable; a finished tile is cached). Synthetic tiles (coarser than
 * the slide's coarsest level) are drawn from the tiles of the next finer level: the finest
 * synthetic level from the slide's native tiles, each coarser one from the synthetic level
 * below. Every native tile is thus fetched and decoded once, however many synthetic tiles and
 * viewers use it. Bitmaps are never closed here: OpenSeadragon may still draw them.
 */
function createTileCache(handle: SlideHandle, levels: OsdLevel[]) {
  const native = new PromiseLru();
  const synthetic = new PromiseLru();

  const getNative = (l: number, x: number, y: number, signal?: AbortSignal): Promise<ImageBitmap> => {
    const key = `${l}/${x}/${y}`;
    const hit = native.get(key);
    if (hit) return hit;
    if (signal) {
      // abortable: cache only once it has arrived, so an abort does not poison the cache
      const p = handle.getTile(levels[l].slideLevel, x, y, signal);
      p.then(
        () => native.set(key, p),
        () => {},
      );
      return p;
    }
    const p = handle.getTile(levels[l].slideLevel, x, y);
    native.set(key, p);
    return p;
  };

  const getSynthetic = (l: number, x: number, y: number): Promise<ImageBitmap> => {
    const key = `${l}/${x}/${y}`;
    const hit = synthetic.get(key);
    if (hit) return hit;
    const p = draw(l, x, y);
    synthetic.set(key, p);
    return p;
  };

  const draw = async (l: number, x: number, y: number): Promise<ImageBitmap> => {
    const v = levels[l];
    const finer = levels[l + 1];
    const { ratio, outWidth, outHeight, children } = getChildTiles(v, finer, x, y);
    const bitmaps = await Promise.all(
      children.map((c) => (finer.synthetic ? getSynthetic(l + 1, c.col, c.row) : getNative(l + 1, c.col, c.row))),
    );
    const canvas = new OffscreenCanvas(outWidth, outHeight);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas context to draw a downsampled tile');
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'medium';
    children.forEach((c, i) => {
      const bmp = bitmaps[i];
      ctx.drawImage(bmp, c.dx, c.dy, bmp.width * ratio, bmp.height * ratio);
    });
    return canvas.transferToImageBitmap();
  };

  return { getNative, getSynthetic };
}
