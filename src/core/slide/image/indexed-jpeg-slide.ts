/**
 * A plain JPEG too big to decode in one piece (a whole-slide export of 28k x 30k px is 3.3 GB as
 * RGBA; Chromium refuses anything over 2 GiB), served like a tiled TIFF: the file stays compressed
 * in memory, every 512 px tile of the full-resolution level is cut out of the Huffman stream as a
 * small JPEG of its own and decoded alone (`JpegIndex`: the whole decode's pixels exactly), and
 * a tile of level 1 or 2 is its full-resolution block cut out and decoded the same way, then halved
 * as ImageSlide halves its levels (equal pixels). Level 3 (1/8) is kept in memory, with the coarser ones halved from it: it comes
 * from the blocks' DC coefficients, read while the stream is indexed (libjpeg's 1/8 scaled decode,
 * as openslide reads NDPI's small levels; within a grey level of the halvings on average), so the
 * overview needs no decode at all. Where that cannot be done (CMYK), the first level of at most
 * `memoryLevelPixels` is built in one pass of decoded pieces instead.
 */
import type { ImageCodec } from '../../image/codec.ts';
import { JpegIndex, type JpegLayout } from '../../image/jpeg-index.ts';
import { crop } from '../../image/rgba.ts';
import type { ByteSource } from '../bytes/byte-source.ts';
import { getHalvedImage, getHalvingSizes, loadHalvedInPieces } from '../pyramid/halving.ts';
import { TiledSlide } from '../tiled-slide.ts';
import { getPlainImageMeta } from './image-slide.ts';
import { type RgbaImage, SlideError, type SlideMetadata } from '../types.ts';

/** Above this many pixels a baseline JPEG is opened through its index (see loadSlide). */
export const INDEXED_JPEG_PIXELS = 2 ** 27;
/** The first level at most this big is built in one pass and kept (128 MiB as RGBA). */
const MEMORY_LEVEL_PIXELS = 2 ** 25;
/** Level 3 from the DC coefficients is kept up to this size (256 MiB as RGBA: a 65,535 px square JPEG). */
const DC_LEVEL3_PIXELS = 2 ** 26;
const TILE = 512;

export interface IndexedJpegSlideOptions {
  codec: ImageCodec;
  mpp?: number;
  cacheBytes?: number;
  memoryLevelPixels?: number;
  /**
   * true: build the kept level by decoding the whole image in pieces and halving (pixels equal to
   * ImageSlide's at every level). Default: from the DC coefficients, as libjpeg's 1/8 scaled decode
   * (and openslide's NDPI levels) do: within a few grey levels of the halvings, in a fraction of the time.
   */
  fullDecodeLevels?: boolean;
  /** called with the fraction of the stream indexed while the file opens */
  onProgress?: (fraction: number) => void;
}

export class IndexedJpegSlide extends TiledSlide {
  readonly meta: SlideMetadata;
  /** levels from `memoryLevel` down, in memory once built */
  private readonly kept: (Promise<RgbaImage> | undefined)[] = [];

  private constructor(
    private readonly index: JpegIndex,
    private readonly codec: ImageCodec,
    meta: SlideMetadata,
    /** the first level held in memory; finer levels are cut from the JPEG */
    readonly memoryLevel: number,
    cacheBytes?: number,
  ) {
    super(cacheBytes);
    this.meta = meta;
  }

  /** `bytes`: the whole file (read by the caller, who closes `src`); `layout` from getJpegLayout(bytes). */
  static async open(src: ByteSource, layout: JpegLayout, data: Uint8Array, opts: IndexedJpegSlideOptions, signal?: AbortSignal): Promise<IndexedJpegSlide> {
    const sizes = getHalvingSizes(layout.width, layout.height, TILE);
    const limit = opts.memoryLevelPixels ?? MEMORY_LEVEL_PIXELS;
    let memoryLevel = sizes.findIndex((s) => s.width * s.height <= limit);
    if (memoryLevel < 0) memoryLevel = sizes.length - 1;
    // the kept level straight from the DC coefficients while the stream is indexed (no decode), where it is 1/8 or coarser
    const fromDc = layout.colour !== null && sizes.length > 3 && !opts.fullDecodeLevels;
    // from the DC coefficients, level 3 itself is kept whenever it is at most 64 Mpx (any JPEG up to
    // its 65,535 px limit): the levels finer than the kept one are halved from 4, 16, 64 level-0 tiles
    if (fromDc) memoryLevel = sizes[3].width * sizes[3].height <= DC_LEVEL3_PIXELS ? 3 : Math.max(3, memoryLevel);
    let index: JpegIndex;
    try {
      index = await JpegIndex.load(data, layout, { signal, onProgress: opts.onProgress, dcLevel: fromDc ? memoryLevel : undefined });
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e;
      throw new SlideError(src.name, `is a JPEG image whose compressed data cannot be read (${e instanceof Error ? e.message : String(e)}).`, 'The file is probably truncated or corrupt.');
    }
    const meta = getPlainImageMeta(src.name, 'jpeg', sizes, TILE, opts.mpp, { 'image.access': 'indexed' });
    return new IndexedJpegSlide(index, opts.codec, meta, memoryLevel, opts.cacheBytes);
  }

  /** Image pixels [x, x + w) x [y, y + h) of the full-resolution level, decoded from their own JPEG. */
  private async decodeRect(x: number, y: number, w: number, h: number): Promise<RgbaImage> {
    const cut = this.index.extractWithMargin(x, y, w, h);
    let img: RgbaImage;
    try {
      img = await this.codec.decodeJpeg(cut.jpeg);
    } catch (e) {
      throw new SlideError(this.meta.name, `could not decode the part at (${x}, ${y}) (${e instanceof Error ? e.message : String(e)}).`, 'The file is probably corrupt.');
    }
    return crop(img, cut.offsetX, cut.offsetY, w, h);
  }

  /** The kept level and every coarser one, each built once. */
  private loadKept(level: number, signal?: AbortSignal): Promise<RgbaImage> {
    let p = this.kept[level];
    if (!p) {
      const dc = this.index.dcImage;
      p = level > this.memoryLevel ? this.loadKept(level - 1, signal).then(getHalvedImage) : dc ? Promise.resolve(dc) : this.buildMemoryLevel(signal);
      p.catch(() => {
        this.kept[level] = undefined;
      });
      this.kept[level] = p;
    }
    return p;
  }

  /** One pass over the image in pieces (aligned to 2^level and to MCUs), each halved `level` times. */
  private buildMemoryLevel(signal?: AbortSignal): Promise<RgbaImage> {
    return loadHalvedInPieces(this.meta.width, this.meta.height, this.memoryLevel, (x, y, w, h) => this.decodeRect(x, y, w, h), signal);
  }

  protected async decodeTile(level: number, col: number, row: number, signal?: AbortSignal): Promise<RgbaImage> {
    const { x, y, w, h } = this.getTileRect(level, col, row);
    if (level === 0) return this.decodeRect(x, y, w, h);
    if (level >= this.memoryLevel) return crop(await this.loadKept(level, signal), x, y, w, h);
    // the full-resolution block under the tile cut out as one JPEG (one decode instead of 4^level),
    // halved `level` times (aligned to 2^level: the halving pyramid's pixels)
    const f = 2 ** level;
    let block = await this.decodeRect(x * f, y * f, Math.min(TILE * f, this.meta.width - x * f), Math.min(TILE * f, this.meta.height - y * f));
    for (let i = 0; i < level; i++) block = getHalvedImage(block);
    return block;
  }

  async readAssociated(name: string): Promise<RgbaImage> {
    throw new SlideError(this.meta.name, `has no associated image '${name}'.`, 'Plain images have none.');
  }

  override close(): void {
    super.close();
    this.kept.length = 0;
  }
}
