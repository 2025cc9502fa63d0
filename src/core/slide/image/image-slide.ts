/**
 * Plain images (JPEG, PNG, WebP) of any size, e.g. the 9,272 x 9,923 px HER2ST H&E JPEGs:
 * decoded ONCE, then a pyramid of halved levels (2x2 box filter) is built in memory, level by
 * level on first use, and served as 512 px tiles. No level is ever decoded again. Where the codec
 * keeps the decoded frame (the browser's JPEG path, FrameImage), the full-resolution level stays
 * in the frame and is copied out by rectangle; level 1 is halved from it strip by strip.
 */
import { BmpError, decodeBmp } from '../../image/bmp.ts';
import type { FrameImage, ImageCodec } from '../../image/codec.ts';
import { blit, crop, halve, setOpaqueRgba } from '../../image/rgba.ts';
import { type ByteSource, readExact } from '../bytes/byte-source.ts';
import { getHalvedImage, getHalvingSizes } from '../pyramid/halving.ts';
import { makeLevels, TiledSlide } from '../tiled-slide.ts';
import { type RgbaImage, SlideError, type SlideMetadata } from '../types.ts';

/**
 * Tile side for plain images. The tiles are crops of memory we already hold, so their size only
 * sets how many tiles, messages and viewer redraws a view takes: 512 px instead of 256 px cut the
 * viewer's frames while a HER2ST section opens from about 40 to 7-14, the page's main-thread CPU from
 * 0.65-0.74 to 0.45-0.47 s and its compositing by half, and the time to its fused map by about 0.3 s
 * on 2 cores (bench/infer.ts, alternating runs).
 */
export const IMAGE_TILE = 512;

/**
 * The metadata of a plain image (ImageSlide, IndexedJpegSlide): its halving levels in `tile` px
 * tiles, um/px only when the user gave it, no associated images; `properties` adds to the defaults.
 */
export function getPlainImageMeta(name: string, format: string, sizes: { width: number; height: number }[], tile: number, mpp: number | undefined, properties: Record<string, string> = {}): SlideMetadata {
  return {
    format: 'image',
    name,
    width: sizes[0].width,
    height: sizes[0].height,
    levels: makeLevels(sizes.map((s) => ({ width: s.width, height: s.height, tileWidth: tile, tileHeight: tile }))),
    tileWidth: tile,
    tileHeight: tile,
    mpp: mpp ?? null,
    mppSource: mpp !== undefined ? 'user' : 'none',
    objective: null,
    associated: [],
    compression: format,
    properties: { 'openslide.vendor': 'image', 'image.format': format, ...properties },
  };
}

export interface ImageSlideOptions {
  codec: ImageCodec;
  mpp?: number;
  cacheBytes?: number;
  /** bytes of the frame copied per strip when level 1 is halved from a kept frame (default 8 MiB) */
  stripBytes?: number;
  /** tile side in px (default IMAGE_TILE) */
  tileSize?: number;
}

export class ImageSlide extends TiledSlide {
  readonly meta: SlideMetadata;

  /** levels being built (each once, however many reads wait for it) */
  private readonly building: (Promise<RgbaImage> | undefined)[] = [];

  private constructor(
    /** level 0 (null when it stays in `frame`), then each level halved from the one above when first read */
    private readonly pyramid: (RgbaImage | null)[],
    meta: SlideMetadata,
    /**
     * the decoder's frame holding level 0 (pixels as 32-bit words with a padding byte); with one,
     * every level is stored in the frame's word order and tiles are converted as they are cut
     */
    private frame: FrameImage | null,
    private readonly stripBytes: number,
    cacheBytes?: number,
  ) {
    // tiles are cheap crops of memory we already hold: keep the tile cache small
    super(Math.min(cacheBytes ?? 32 * 1024 * 1024, 32 * 1024 * 1024));
    this.meta = meta;
  }

  /** `bytes`: the whole file, when the caller has read it already (and closed `src`). */
  static async open(src: ByteSource, format: string, opts: ImageSlideOptions, signal?: AbortSignal, bytes?: Uint8Array): Promise<ImageSlide> {
    if (!bytes) {
      try {
        bytes = await readExact(src, 0, src.size, signal);
      } finally {
        // everything is in memory from here on
        await src.close?.();
      }
    }
    let base: RgbaImage | null = null;
    let frame: FrameImage | null = null;
    try {
      // where the decoder keeps a B, G, R, X frame, the pyramid is built in that order (the 2x2
      // mean does not mix channels) and only the tiles read are converted: no pass over the whole image
      // BMP is decoded here (neither libvips nor every browser decoder path reads all its variants)
      if (format === 'bmp') base = decodeBmp(bytes);
      else {
        frame = opts.codec.decodeImageFrame ? await opts.codec.decodeImageFrame(bytes) : null;
        if (!frame) base = await opts.codec.decodeImage(bytes);
      }
    } catch (e) {
      if (e instanceof BmpError) {
        throw new SlideError(src.name, `is a BMP image that cannot be decoded: it ${e.message}.`, e.unsupported ? 'Save it as an uncompressed 24-bit BMP or a PNG (a large image as a pyramidal TIFF).' : 'The file is probably truncated or corrupt.');
      }
      throw new SlideError(src.name, `is a ${format.toUpperCase()} image that cannot be decoded (${e instanceof Error ? e.message : String(e)}).`, 'The file is probably truncated or corrupt.');
    }
    // level sizes now, level pixels on first use (see getLevel): the metadata goes out without
    // waiting for the halvings (0.2 s for a 92 Mpx HER2ST image), so reads of the full-resolution
    // level (the model's spot patches) need not wait for them either
    const size = frame ?? (base as RgbaImage);
    const tile = opts.tileSize ?? IMAGE_TILE;
    const sizes = getHalvingSizes(size.width, size.height, tile);
    const pyramid: (RgbaImage | null)[] = sizes.map((_, i) => (i === 0 ? base : null));
    const meta = getPlainImageMeta(src.name, format, sizes, tile, opts.mpp);
    const slide = new ImageSlide(pyramid, meta, frame, opts.stripBytes ?? 8 << 20, opts.cacheBytes);
    // level 1 is halved from the frame at once, strip by strip (other reads are served between the
    // strips): the viewer's first tiles and the model's patches both need it, and both ask for it
    // only after the metadata has made the round trip through the page
    if (frame && pyramid.length > 1) slide.loadLevel(1).catch(() => {});
    return slide;
  }

  /** A level's pixels (level 0 only when it is not in the frame), halved from the level above on first use. */
  private async loadLevel(level: number): Promise<RgbaImage> {
    const have = this.pyramid[level];
    if (have) return have;
    // (level 0 is either in the pyramid or read from the frame; past the last level: closed)
    if (level <= 0 || level >= this.pyramid.length) throw new Error(`${this.meta.name}: no level ${level} (the slide was closed)`);
    let p = this.building[level];
    if (!p) {
      p = (level === 1 && this.frame ? this.halveFrame(this.frame) : this.loadLevel(level - 1).then(getHalvedImage)).then((img) => {
        if (this.pyramid.length) this.pyramid[level] = img;
        return img;
      });
      p.catch(() => {
        this.building[level] = undefined;
      });
      this.building[level] = p;
    }
    return p;
  }

  /** Level 1 from the frame, strip by strip (even strip heights: the same pixels as one halving). */
  private async halveFrame(frame: FrameImage): Promise<RgbaImage> {
    const { width, height } = frame;
    const w2 = Math.ceil(width / 2);
    const out = new Uint8ClampedArray(w2 * Math.ceil(height / 2) * 4);
    const rows = Math.max(2, Math.floor(this.stripBytes / (width * 4)) & ~1);
    const strip = new Uint8ClampedArray(width * rows * 4);
    for (let y = 0; y < height; y += rows) {
      const h = Math.min(rows, height - y);
      const part = strip.subarray(0, width * h * 4);
      await frame.readRect(0, y, width, h, part);
      out.set(halve(part, width, h, 4).data, (y / 2) * w2 * 4);
    }
    return { width: w2, height: Math.ceil(height / 2), data: out };
  }

  /** Pixels [x, x + w) x [y, y + h) of a level, as stored (the frame's word order where there is one), in a new buffer. */
  private async readStored(level: number, x: number, y: number, w: number, h: number): Promise<RgbaImage> {
    if (level === 0 && this.frame) {
      const data = new Uint8ClampedArray(w * h * 4);
      await this.frame.readRect(x, y, w, h, data);
      return { width: w, height: h, data };
    }
    const img = await this.loadLevel(level);
    const part = crop(img, x, y, w, h);
    return part === img ? { width: w, height: h, data: img.data.slice() } : part;
  }

  /** In place: stored pixels to RGBA (a frame's words: B <-> R where it is BGRX, opaque alpha over the padding). */
  private toRgba(words: Uint32Array): void {
    if (this.frame) setOpaqueRgba(words, this.frame.bgrx);
  }

  protected async decodeTile(level: number, col: number, row: number): Promise<RgbaImage> {
    const { x, y, w, h } = this.getTileRect(level, col, row);
    const tile = await this.readStored(level, x, y, w, h);
    this.toRgba(new Uint32Array(tile.data.buffer, tile.data.byteOffset, tile.data.length >> 2));
    return tile;
  }

  /** Regions straight from the level in memory (or the frame): one copy, converted in place, no tile cache. */
  protected override async blitLevel(level: number, lx: number, ly: number, x1: number, y1: number, out: RgbaImage, dx: number, dy: number): Promise<void> {
    const w = Math.min(x1 - lx, out.width - dx);
    const h = Math.min(y1 - ly, out.height - dy);
    if (w <= 0 || h <= 0) return;
    if (level === 0 && this.frame) blit(await this.readStored(0, lx, ly, w, h), 0, 0, w, h, out, dx, dy);
    else blit(await this.loadLevel(level), lx, ly, w, h, out, dx, dy);
    const words = new Uint32Array(out.data.buffer, out.data.byteOffset, out.data.length >> 2);
    for (let y = 0; y < h; y++) {
      const row = (dy + y) * out.width + dx;
      this.toRgba(words.subarray(row, row + w));
    }
  }

  async readAssociated(name: string): Promise<RgbaImage> {
    throw new SlideError(this.meta.name, `has no associated image '${name}'.`, 'Plain images have none.');
  }

  override close(): void {
    super.close();
    this.pyramid.length = 0;
    this.frame?.close();
    this.frame = null;
  }
}
