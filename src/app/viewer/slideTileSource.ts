import OpenSeadragon from 'openseadragon';
import type { RgbaImage, SlideMetadata } from '../../core/slide/types';
import type { SlideHandle } from '../../workers/slide-client';
import { getImageDataArray } from './imageData';
import { getOsdLevels, getSyntheticRegion, type OsdLevel } from './levels';

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
  const synthetic = createSyntheticTiles(handle, meta, levels);

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
      const bitmap = v.synthetic ? synthetic.get(l, x, y) : handle.getTile(v.slideLevel, x, y, controller.signal);
      bitmap.then(
        (bmp: ImageBitmap) => {
          controllers.delete(job);
          if (controller.signal.aborted) {
            // synthetic tiles stay cached (and shared with the navigator); worker tiles are ours
            if (!v.synthetic) bmp.close();
            return;
          }
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

/** Synthetic tiles kept per slide (about 256 KiB each). */
const SYNTHETIC_CACHE_TILES = 384;

/**
 * Synthetic (coarser than the slide's coarsest level) tiles, made once and shared by the main
 * viewer and the navigator: the finest synthetic level reads a region of the slide's coarsest
 * level; each coarser one draws four tiles of the level below at half size. Reads are not
 * cancelled when OSD drops a tile, because the result is cached for the next request.
 */
function createSyntheticTiles(handle: SlideHandle, meta: SlideMetadata, levels: OsdLevel[]) {
  const cache = new Map<string, Promise<ImageBitmap>>();

  const get = (l: number, x: number, y: number): Promise<ImageBitmap> => {
    const key = `${l}/${x}/${y}`;
    const hit = cache.get(key);
    if (hit) {
      cache.delete(key);
      cache.set(key, hit);
      return hit;
    }
    const p = make(l, x, y);
    p.catch(() => cache.delete(key));
    cache.set(key, p);
    while (cache.size > SYNTHETIC_CACHE_TILES) {
      const oldest = cache.keys().next().value;
      if (oldest === undefined) break;
      cache.delete(oldest);
    }
    return p;
  };

  const make = async (l: number, x: number, y: number): Promise<ImageBitmap> => {
    const v = levels[l];
    const finer = levels[l + 1];
    if (!finer?.synthetic) return readSyntheticTile(handle, meta, v, x, y);
    const outW = Math.min(v.tileWidth, v.width - x * v.tileWidth);
    const outH = Math.min(v.tileHeight, v.height - y * v.tileHeight);
    const ratio = v.scale / finer.scale;
    const children: Promise<{ bmp: ImageBitmap; dx: number; dy: number }>[] = [];
    for (let dy = 0; dy < 2; dy++) {
      for (let dx = 0; dx < 2; dx++) {
        const cx = 2 * x + dx;
        const cy = 2 * y + dy;
        if (cx * finer.tileWidth >= finer.width || cy * finer.tileHeight >= finer.height) continue;
        children.push(get(l + 1, cx, cy).then((bmp) => ({ bmp, dx, dy })));
      }
    }
    const canvas = new OffscreenCanvas(Math.max(1, outW), Math.max(1, outH));
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas context for a downsampled tile');
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'medium';
    for (const { bmp, dx, dy } of await Promise.all(children)) {
      ctx.drawImage(bmp, dx * finer.tileWidth * ratio, dy * finer.tileHeight * ratio, bmp.width * ratio, bmp.height * ratio);
    }
    return canvas.transferToImageBitmap();
  };

  return { get };
}

async function readSyntheticTile(handle: SlideHandle, meta: SlideMetadata, level: OsdLevel, col: number, row: number): Promise<ImageBitmap> {
  const r = getSyntheticRegion(meta, level, col, row);
  const img: RgbaImage = await handle.readRegion(level.slideLevel, r.x, r.y, r.width, r.height);
  const data = new ImageData(getImageDataArray(img.data), img.width, img.height);
  return createImageBitmap(data, {
    resizeWidth: Math.max(1, r.outWidth),
    resizeHeight: Math.max(1, r.outHeight),
    resizeQuality: 'medium',
  });
}
