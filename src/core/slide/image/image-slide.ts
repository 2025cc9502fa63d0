/**
 * Plain images (JPEG, PNG, WebP) of any size, e.g. the 9,272 x 9,923 px HER2ST H&E JPEGs:
 * decoded ONCE, then a pyramid of halved levels (2x2 box filter) is built in memory and served
 * as 256 px tiles. No level is ever decoded again.
 */
import type { ImageCodec } from '../../image/codec.ts';
import { blit, crop, halve, setOpaqueRgba } from '../../image/rgba.ts';
import { type ByteSource, readExact } from '../bytes/byte-source.ts';
import { makeLevels, TiledSlide } from '../tiled-slide.ts';
import { type RgbaImage, SlideError, type SlideMetadata } from '../types.ts';

export const IMAGE_TILE = 256;

export interface ImageSlideOptions {
  codec: ImageCodec;
  mpp?: number;
  cacheBytes?: number;
}

export class ImageSlide extends TiledSlide {
  readonly meta: SlideMetadata;

  private constructor(
    /** level 0, then each level halved from the one above when first read */
    private readonly pyramid: (RgbaImage | null)[],
    meta: SlideMetadata,
    /** the levels hold B, G, R, X pixels (the decoder's order): tiles are converted as they are cut */
    private readonly bgrx: boolean,
    cacheBytes?: number,
  ) {
    // tiles are cheap crops of memory we already hold: keep the tile cache small
    super(Math.min(cacheBytes ?? 32 * 1024 * 1024, 32 * 1024 * 1024));
    this.meta = meta;
  }

  static async open(src: ByteSource, format: string, opts: ImageSlideOptions, signal?: AbortSignal): Promise<ImageSlide> {
    let bytes: Uint8Array;
    try {
      bytes = await readExact(src, 0, src.size, signal);
    } finally {
      // everything is in memory from here on
      await src.close?.();
    }
    let base: RgbaImage;
    let bgrx = false;
    try {
      // where the decoder gives B, G, R, X, the pyramid is built in that order (the 2x2 mean does
      // not mix channels) and only the tiles read are converted: no pass over the whole image
      if (opts.codec.decodeImageRaw) ({ image: base, bgrx } = await opts.codec.decodeImageRaw(bytes));
      else base = await opts.codec.decodeImage(bytes);
    } catch (e) {
      throw new SlideError(src.name, `is a ${format.toUpperCase()} image that cannot be decoded (${e instanceof Error ? e.message : String(e)}).`, 'The file is probably truncated or corrupt.');
    }
    // level sizes now, level pixels on first use (see getLevel): the metadata goes out without
    // waiting for the halvings (0.2 s for a 92 Mpx HER2ST image), so reads of the full-resolution
    // level (the model's spot patches) need not wait for them either
    const sizes = [{ width: base.width, height: base.height }];
    for (let cur = sizes[0]; cur.width > IMAGE_TILE || cur.height > IMAGE_TILE; ) {
      cur = { width: Math.ceil(cur.width / 2), height: Math.ceil(cur.height / 2) };
      sizes.push(cur);
    }
    const pyramid: (RgbaImage | null)[] = sizes.map((_, i) => (i === 0 ? base : null));
    const levels = makeLevels(sizes.map((p) => ({ width: p.width, height: p.height, tileWidth: IMAGE_TILE, tileHeight: IMAGE_TILE })));
    const meta: SlideMetadata = {
      format: 'image',
      name: src.name,
      width: base.width,
      height: base.height,
      levels,
      tileWidth: IMAGE_TILE,
      tileHeight: IMAGE_TILE,
      mpp: opts.mpp ?? null,
      mppSource: opts.mpp !== undefined ? 'user' : 'none',
      objective: null,
      associated: [],
      compression: format,
      properties: { 'openslide.vendor': 'image', 'image.format': format },
    };
    return new ImageSlide(pyramid, meta, bgrx, opts.cacheBytes);
  }

  private getLevel(level: number): RgbaImage {
    const have = this.pyramid[level];
    if (have) return have;
    if (level <= 0 || level >= this.pyramid.length) throw new Error(`${this.meta.name}: no level ${level} (the slide was closed)`);
    const above = this.getLevel(level - 1);
    const h = halve(above.data, above.width, above.height, 4);
    const img = { width: h.width, height: h.height, data: new Uint8ClampedArray(h.data.buffer) };
    this.pyramid[level] = img;
    return img;
  }

  protected async decodeTile(level: number, col: number, row: number): Promise<RgbaImage> {
    const img = this.getLevel(level);
    const x = col * IMAGE_TILE;
    const y = row * IMAGE_TILE;
    const tile = crop(img, x, y, Math.min(IMAGE_TILE, img.width - x), Math.min(IMAGE_TILE, img.height - y));
    if (!this.bgrx) return tile;
    // crop returns the level itself when one tile covers it: convert a copy
    const out = tile === img ? { width: img.width, height: img.height, data: img.data.slice() } : tile;
    setOpaqueRgba(new Uint32Array(out.data.buffer, out.data.byteOffset, out.data.length >> 2), true);
    return out;
  }

  /** Regions straight from the level in memory: one copy, converted in place, no tile cache. */
  protected override async blitLevel(level: number, lx: number, ly: number, x1: number, y1: number, out: RgbaImage, dx: number, dy: number): Promise<void> {
    const img = this.getLevel(level);
    const w = Math.min(x1 - lx, out.width - dx);
    const h = Math.min(y1 - ly, out.height - dy);
    blit(img, lx, ly, w, h, out, dx, dy);
    if (!this.bgrx) return;
    const words = new Uint32Array(out.data.buffer, out.data.byteOffset, out.data.length >> 2);
    for (let y = 0; y < h; y++) {
      const row = (dy + y) * out.width + dx;
      setOpaqueRgba(words.subarray(row, row + w), true);
    }
  }

  async readAssociated(name: string): Promise<RgbaImage> {
    throw new SlideError(this.meta.name, `has no associated image '${name}'.`, 'Plain images have none.');
  }

  override close(): void {
    super.close();
    this.pyramid.length = 0;
  }
}
