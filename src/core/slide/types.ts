/**
 * The one slide-reading API of FuseScope (after Viv's PixelSource): every format
 * family implements `SlideSource` in its own folder under src/core/slide/.
 * The OpenSeadragon tile source, the inference patch reader and the CLI all read
 * pixels only through this interface. DOM-free: runs in workers and in Node.
 */

/** An 8-bit RGBA raster, row-major, premultiplied alpha never used (alpha is 255 or 0). */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

export interface SlideLevel {
  width: number;
  height: number;
  /** level-0 pixels per level pixel (>= 1) */
  downsample: number;
  tileWidth: number;
  tileHeight: number;
}

/** Where the um/px value came from, so the UI can mark user-set values. */
export type MppSource = 'file' | 'user' | 'st-pitch' | 'none';

export interface SlideMetadata {
  /** e.g. 'aperio-svs', 'generic-tiff', 'ome-tiff', 'ndpi', 'image', 'dzi' */
  format: string;
  /** File or URL name the user opened. */
  name: string;
  width: number;
  height: number;
  levels: SlideLevel[];
  tileWidth: number;
  tileHeight: number;
  /** micrometres per level-0 pixel (x); null when unknown */
  mpp: number | null;
  mppSource: MppSource;
  objective: number | null;
  /** names of associated images: 'label', 'macro', 'thumbnail', ... */
  associated: string[];
  /** Compression names per level, e.g. 'jpeg', 'jpeg2000', 'lzw', 'none'. */
  compression?: string;
  /** Free-form properties (openslide-like keys where they exist). */
  properties: Record<string, string>;
}

export interface SlideSource {
  readonly meta: SlideMetadata;
  /**
   * Read a region: x, y in level-0 pixel coordinates, width/height in level pixels,
   * exactly like openslide's read_region. Pixels outside the slide are transparent (0,0,0,0).
   * The returned pixels are the caller's own (a new buffer, never a cache's), so they may be
   * transferred to another thread.
   */
  readRegion(level: number, x: number, y: number, width: number, height: number, signal?: AbortSignal): Promise<RgbaImage>;
  /** Read one tile of the level's native tile grid (edge tiles are cropped to the level). */
  readTile(level: number, col: number, row: number, signal?: AbortSignal): Promise<RgbaImage>;
  /** Read an associated image (label, macro, thumbnail) by name. */
  readAssociated(name: string, signal?: AbortSignal): Promise<RgbaImage>;
  /**
   * Optional: a level reduced 8 x 2^shift times from its JPEG blocks' DC coefficients, without
   * decoding it (libjpeg's 1/8 scaling; within a grey level or so of the 2x2 halvings), where the
   * format stores the level as JPEG tiles or strips; null where it cannot.
   */
  loadDcLevel?(level: number, shift: number, signal?: AbortSignal): Promise<RgbaImage | null>;
  close(): void;
}

/** A user-facing error: which file, what is wrong, what to do. */
export class SlideError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly hint: string,
  ) {
    super(`${file}: ${problem}${hint ? ` ${hint}` : ''}`);
    this.name = 'SlideError';
  }
}
