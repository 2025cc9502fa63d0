/**
 * The inference worker's view of the open slide: regions are read through the main thread's
 * SlideHandle (the viewer's slide workers), one message round trip per read. Spot patches are
 * small and scattered, so reads are served from aligned BLOCK x BLOCK blocks of level pixels,
 * each read once and kept (LRU); a spot run prefetches the blocks of all its patches in priority
 * order while the encoder runs, so slide reads and inference overlap. The pixels are exactly those
 * of a direct read: level coordinates are mapped as TiledSlide.readRegion maps them
 * (round(x / downsample)), and outside the slide stays transparent.
 */
import type { RgbaImage, SlideMetadata, SlideSource } from '../core/slide/types.ts';

export const BLOCK = 1024;
/** blocks (4 MiB each) kept without a prefetch (the dense heatmap's windows, hover patches) */
const BASE_BLOCKS = 12;
/** at most this many blocks are prefetched (128 MiB); further ones are read on demand */
const MAX_PREFETCH_BLOCKS = 32;
/** block reads in flight at once during a prefetch (the main thread and the slide worker serve them) */
const PREFETCH_CONCURRENCY = 3;

export interface LevelRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** How the proxy reaches the slide: region reads answered by the main thread. */
export interface RemoteReader {
  read(level: number, x: number, y: number, width: number, height: number): Promise<RgbaImage>;
  /**
   * Queue reads on the main thread (in this order, `concurrency` at a time): they go on while this
   * worker's thread is busy running the encoder. One promise per region; `cancel` drops what is not
   * read yet (those promises reject with an AbortError).
   */
  readMany(level: number, regions: readonly LevelRect[], concurrency: number): { results: Promise<RgbaImage>[]; cancel(): void };
}

export interface ProxySlide extends SlideSource {
  /**
   * Read (in this order, a few at a time) the blocks covering these level rectangles, and keep them
   * until `endPrefetch`. Returns the number of blocks queued.
   */
  prefetch(level: number, rects: readonly LevelRect[]): number;
  /** drop the prefetch queue and shrink the cache back */
  endPrefetch(): void;
}

/** Level pixel of a level-0 coordinate, as TiledSlide.readRegion computes it (x >= 0). */
function toLevel(x: number, d: number): number {
  return Math.round(x / d - 1e-9);
}

export function createProxySlide(meta: SlideMetadata, remote: RemoteReader): ProxySlide {
  const unsupported = () => Promise.reject(new Error('the inference worker reads regions only'));
  const blocks = new Map<string, Promise<RgbaImage>>();
  let capacity = BASE_BLOCKS;
  let cancelPrefetch: (() => void) | null = null;
  /** prefetched blocks not read yet: dropped at once when the prefetch ends */
  const unread = new Set<string>();
  const remember = (key: string, p: Promise<RgbaImage>) => {
    p.catch(() => {
      if (blocks.get(key) === p) blocks.delete(key);
    });
    blocks.set(key, p);
    trim();
  };
  const getBlockRect = (level: number, bx: number, by: number): LevelRect => {
    const d = meta.levels[level].downsample;
    // x / d rounds back to exactly bx * BLOCK level px (TiledSlide.readRegion)
    return { x: bx * BLOCK * d, y: by * BLOCK * d, width: BLOCK, height: BLOCK };
  };

  const trim = () => {
    while (blocks.size > capacity) blocks.delete(blocks.keys().next().value as string);
  };
  const getBlock = (level: number, bx: number, by: number): Promise<RgbaImage> => {
    const key = `${level}/${bx}/${by}`;
    let p = blocks.get(key);
    if (p) {
      blocks.delete(key);
      blocks.set(key, p); // most recently used last
      return p;
    }
    const r = getBlockRect(level, bx, by);
    p = remote.read(level, r.x, r.y, r.width, r.height);
    remember(key, p);
    return p;
  };

  return {
    meta,
    async readRegion(level, x, y, width, height, signal) {
      signal?.throwIfAborted();
      const d = meta.levels[level]?.downsample ?? 1;
      if (x < 0 || y < 0 || width > BLOCK || height > BLOCK || width === 0 || height === 0) return remote.read(level, x, y, width, height);
      const lx = toLevel(x, d);
      const ly = toLevel(y, d);
      const out = new Uint8ClampedArray(width * height * 4);
      const bx0 = Math.floor(lx / BLOCK);
      const by0 = Math.floor(ly / BLOCK);
      const bx1 = Math.floor((lx + width - 1) / BLOCK);
      const by1 = Math.floor((ly + height - 1) / BLOCK);
      const jobs: Promise<void>[] = [];
      for (let by = by0; by <= by1; by++) {
        for (let bx = bx0; bx <= bx1; bx++) {
          jobs.push(
            getBlock(level, bx, by).then((img) => {
              // copy the overlap of this block and the region
              const ox0 = Math.max(lx, bx * BLOCK);
              const ox1 = Math.min(lx + width, bx * BLOCK + BLOCK);
              const oy0 = Math.max(ly, by * BLOCK);
              const oy1 = Math.min(ly + height, by * BLOCK + BLOCK);
              for (let yy = oy0; yy < oy1; yy++) {
                const src = ((yy - by * BLOCK) * img.width + (ox0 - bx * BLOCK)) * 4;
                out.set(img.data.subarray(src, src + (ox1 - ox0) * 4), ((yy - ly) * width + (ox0 - lx)) * 4);
              }
            }),
          );
        }
      }
      await Promise.all(jobs);
      return { width, height, data: out };
    },
    prefetch(level, rects) {
      cancelPrefetch?.();
      const seen = new Set<string>();
      const keys: string[] = [];
      const regions: LevelRect[] = [];
      const lw = meta.levels[level].width;
      const lh = meta.levels[level].height;
      for (const r of rects) {
        const x0 = Math.max(0, r.x);
        const y0 = Math.max(0, r.y);
        const x1 = Math.min(lw, r.x + r.width);
        const y1 = Math.min(lh, r.y + r.height);
        if (x1 <= x0 || y1 <= y0) continue;
        for (let by = Math.floor(y0 / BLOCK); by <= Math.floor((y1 - 1) / BLOCK); by++) {
          for (let bx = Math.floor(x0 / BLOCK); bx <= Math.floor((x1 - 1) / BLOCK); bx++) {
            const key = `${level}/${bx}/${by}`;
            if (seen.has(key) || blocks.has(key) || keys.length >= MAX_PREFETCH_BLOCKS) continue;
            seen.add(key);
            keys.push(key);
            regions.push(getBlockRect(level, bx, by));
          }
        }
      }
      if (!keys.length) return 0;
      capacity = Math.max(BASE_BLOCKS, blocks.size + keys.length + BASE_BLOCKS / 2);
      const { results, cancel } = remote.readMany(level, regions, PREFETCH_CONCURRENCY);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        unread.add(key);
        remember(key, results[i]);
        results[i].then(
          () => unread.delete(key),
          () => unread.delete(key),
        );
      }
      cancelPrefetch = cancel;
      return keys.length;
    },
    endPrefetch() {
      for (const key of unread) blocks.delete(key);
      unread.clear();
      cancelPrefetch?.();
      cancelPrefetch = null;
      capacity = BASE_BLOCKS;
      trim();
    },
    readTile: unsupported,
    readAssociated: unsupported,
    close() {
      unread.clear();
      cancelPrefetch?.();
      cancelPrefetch = null;
      blocks.clear();
    },
  };
}
