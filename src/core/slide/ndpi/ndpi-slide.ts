/**
 * Hamamatsu NDPI: a TIFF whose every level is ONE JPEG (one strip, restart markers every MCU
 * row). Levels are the IFDs whose NDPI magnification tag (65421) is positive, the macro image
 * is the one with -1 (the -2 "map" is skipped, like openslide 3.4). Offsets above 4 GiB: the
 * high 32 bits come from NDPI tag 65324 (offset high bytes) when present, otherwise openslide's
 * rule (same 4 GiB window as the IFD, before it). The slide is served as a virtual 512 px tile
 * grid. A level of up to 134 Mpx is decoded once and kept in a byte-bounded LRU; a bigger one (a
 * brightfield scan's full resolution is gigapixels), or one over 65,535 px (its JPEG header then
 * says 0), is never decoded whole: each tile is cut out of the level's JPEG at its restart markers
 * as a small JPEG of its own (`RestartJpegIndex`, reading only that tile's rows; the whole decode's
 * pixels), as openslide reads NDPI.
 * Like openslide, the smallest JPEG also gives up to three smaller levels (1/2, 1/4, 1/8: openslide
 * uses libjpeg's DCT scaling, we halve the decoded level with a 2x2 box filter).
 * mpp from XResolution/ResolutionUnit (cm), objective from tag 65421 of level 0, properties
 * from the key=value lines of tag 65449.
 */
import type { ImageCodec } from '../../image/codec.ts';
import { crop, halve } from '../../image/rgba.ts';
import { readJpegFrame } from '../../image/jpeg.ts';
import { getJpegLayout, JpegIndex, RestartJpegIndex } from '../../image/jpeg-index.ts';
import { INDEXED_JPEG_PIXELS } from '../image/indexed-jpeg-slide.ts';
import { readExact } from '../bytes/byte-source.ts';
import { ByteLruCache } from '../lru-cache.ts';
import { mppFromResolution } from '../tiff/generic.ts';
import { type IfdInfo, readIfdInfo, TiffFile, tagNumber, tagString } from '../tiff/tiff-file.ts';
import { makeLevels, TiledSlide } from '../tiled-slide.ts';
import type { ByteSource } from '../bytes/byte-source.ts';
import { type MppSource, type RgbaImage, SlideError, type SlideMetadata } from '../types.ts';

export const NDPI_TILE = 512;
const TAG_MAGNIFICATION = 65421;
const TAG_OFFSET_HIGH = 65324;
const TAG_PROPERTY_MAP = 65449;

export interface NdpiOptions {
  codec: ImageCodec;
  mpp?: number;
  cacheBytes?: number;
  /** Bound of the decoded-level cache (bytes); default 512 MiB. */
  levelCacheBytes?: number;
  /**
   * Levels with more pixels than this (default INDEXED_JPEG_PIXELS), or over 65,535 px, are never
   * decoded whole: their tiles are cut out of the level's JPEG at its restart markers, as openslide does.
   */
  indexedLevelPixels?: number;
}

/** Cuts a level's tiles out of its JPEG. */
interface TileCutter {
  extractWithMargin(x: number, y: number, w: number, h: number, signal?: AbortSignal): Promise<{ jpeg: Uint8Array; offsetX: number; offsetY: number }>;
}

interface NdpiImage {
  info: IfdInfo;
  offset: number;
  length: number;
  /** Levels made from the smallest JPEG: how many times it is halved (0 = the JPEG itself). */
  halvings?: number;
  width?: number;
  height?: number;
}

/** openslide's fix for 32-bit NDPI offsets in files over 4 GiB. */
function fixOffset(ifdOffset: number, offset: number): number {
  const high = Math.floor(ifdOffset / 2 ** 32) * 2 ** 32;
  let result = high + (offset >>> 0);
  if (result >= ifdOffset && result >= 2 ** 32) result -= 2 ** 32;
  return result;
}

async function stripOf(file: TiffFile, info: IfdInfo, ifdOffset: number): Promise<NdpiImage> {
  const low = Number(await info.ifd.loadValueIndexed('StripOffsets', 0));
  const length = Number(await info.ifd.loadValueIndexed('StripByteCounts', 0));
  let offset = low;
  const high = await tagNumber(info.ifd, TAG_OFFSET_HIGH);
  if (high !== undefined && high > 0) offset = high * 2 ** 32 + (low >>> 0);
  else if (file.src.size > 2 ** 32) offset = fixOffset(ifdOffset, low);
  return { info, offset, length };
}

export class NdpiSlide extends TiledSlide {
  readonly meta: SlideMetadata;
  private readonly levelCache: ByteLruCache<RgbaImage>;
  private readonly cutters = new Map<number, Promise<TileCutter>>();

  private constructor(
    private readonly file: TiffFile,
    private readonly levelImages: NdpiImage[],
    private readonly associatedImages: Record<string, NdpiImage>,
    meta: SlideMetadata,
    private readonly opts: NdpiOptions,
  ) {
    super(opts.cacheBytes);
    this.meta = meta;
    this.levelCache = new ByteLruCache<RgbaImage>(opts.levelCacheBytes ?? 512 * 1024 * 1024, (i) => i.data.byteLength);
  }

  static async open(src: ByteSource, opts: NdpiOptions, signal?: AbortSignal): Promise<NdpiSlide> {
    const file = await TiffFile.open(src, signal);
    try {
      return await NdpiSlide.fromTiff(file, opts);
    } catch (e) {
      file.close();
      throw e;
    }
  }

  /** Whether an opened TIFF is an NDPI (its first IFD has NDPI's format flag tag 65420). */
  static isNdpi(file: TiffFile): boolean {
    return file.ifds[0].hasTag(65420 as never);
  }

  static async fromTiff(file: TiffFile, opts: NdpiOptions): Promise<NdpiSlide> {
    const src = file.src;
    const levels: NdpiImage[] = [];
    const associated: Record<string, NdpiImage> = {};
    // IFD offsets, for openslide's >4 GiB offset rule
    const ifdOffsets: number[] = [];
    {
      let off = file.tiff.firstIFDOffset;
      for (const ifd of file.ifds) {
        ifdOffsets.push(off);
        off = ifd.nextIFDByteOffset;
      }
    }
    let objective: number | null = null;
    let l0info: IfdInfo | null = null;
    const properties: Record<string, string> = { 'openslide.vendor': 'hamamatsu' };
    for (let i = 0; i < file.ifds.length; i++) {
      const info = await readIfdInfo(file.ifds[i], i);
      const mag = await tagNumber(info.ifd, TAG_MAGNIFICATION);
      if (mag === undefined) continue;
      if (info.compression !== 7) {
        if (mag > 0) throw new SlideError(src.name, `has an NDPI level with compression ${info.compression}; only JPEG NDPI levels are supported.`, 'Convert the slide to a pyramidal TIFF.');
        continue;
      }
      const img = await stripOf(file, info, ifdOffsets[i]);
      if (mag > 0) {
        levels.push(img);
        if (!l0info) {
          l0info = info;
          objective = mag;
        }
      } else if (mag === -1 && !associated.macro) associated.macro = img;
    }
    if (levels.length === 0 || !l0info) throw new SlideError(src.name, 'is an NDPI file without any slide level.', 'Check the file.');
    levels.sort((a, b) => b.info.width - a.info.width);
    {
      const smallest = levels[levels.length - 1];
      let w = smallest.info.width;
      let h = smallest.info.height;
      for (let k = 1; k <= 3 && (w > 1 || h > 1); k++) {
        w = Math.ceil(w / 2);
        h = Math.ceil(h / 2);
        levels.push({ ...smallest, halvings: k, width: w, height: h });
      }
    }
    const map = await tagString(l0info.ifd, TAG_PROPERTY_MAP);
    if (map) {
      for (const line of map.split(/\r?\n/)) {
        const eq = line.indexOf('=');
        if (eq > 0) properties[`hamamatsu.${line.slice(0, eq)}`] = line.slice(eq + 1);
      }
    }
    let mpp = await mppFromResolution(l0info.ifd);
    let mppSource: MppSource = mpp === null ? 'none' : 'file';
    if (opts.mpp !== undefined) {
      mpp = opts.mpp;
      mppSource = 'user';
    }
    const lv = makeLevels(levels.map((l) => ({ width: l.width ?? l.info.width, height: l.height ?? l.info.height, tileWidth: NDPI_TILE, tileHeight: NDPI_TILE })));
    const meta: SlideMetadata = {
      format: 'ndpi',
      name: src.name,
      width: lv[0].width,
      height: lv[0].height,
      levels: lv,
      tileWidth: NDPI_TILE,
      tileHeight: NDPI_TILE,
      mpp,
      mppSource,
      objective,
      associated: Object.keys(associated),
      compression: 'jpeg',
      properties,
    };
    const slide = new NdpiSlide(file, levels, associated, meta, opts);
    // the levels cut at restart markers are indexed now, in the background (one read of each, no
    // decode), so that zooming in later does not wait for it; a failure shows on that level's tiles
    for (let level = 0; level < levels.length; level++) if (slide.isCut(level)) slide.loadCutter(level).catch(() => {});
    return slide;
  }

  private async decodeImage(img: NdpiImage, signal?: AbortSignal): Promise<RgbaImage> {
    const bytes = await readExact(this.file.src, img.offset, img.length, signal);
    const frame = readJpegFrame(bytes);
    if (!frame) throw new SlideError(this.meta.name, `has a level that is not a JPEG stream (at byte ${img.offset}).`, 'The file is probably corrupt.');
    if (frame.width === 0 || frame.height === 0) {
      throw new SlideError(this.meta.name, `has a level JPEG larger than 65535 px (${img.info.width} x ${img.info.height}), which is not supported yet.`, 'Convert the slide to a pyramidal TIFF.');
    }
    let decoded: RgbaImage;
    try {
      decoded = await this.opts.codec.decodeJpeg(bytes);
    } catch (e) {
      throw new SlideError(this.meta.name, `has a level JPEG that cannot be decoded (${e instanceof Error ? e.message : String(e)}).`, 'The file is probably truncated or corrupt.');
    }
    // the JPEG may be padded to whole MCUs: keep the image's own size
    return crop(decoded, 0, 0, img.info.width, img.info.height);
  }

  private levelImage(level: number, signal?: AbortSignal): Promise<RgbaImage> {
    return this.levelCache.getOrCreate(String(level), async () => {
      const img = this.levelImages[level];
      if (!img.halvings) return this.decodeImage(img, signal);
      const prev = await this.levelImage(level - 1, signal);
      const h = halve(prev.data, prev.width, prev.height, 4);
      return { width: h.width, height: h.height, data: new Uint8ClampedArray(h.data.buffer) };
    });
  }

  /** Whether a level's tiles are cut out of its JPEG instead of decoding it whole. */
  private isCut(level: number): boolean {
    const img = this.levelImages[level];
    if (img.halvings) return false;
    const { width, height } = img.info;
    return width > 65535 || height > 65535 || width * height > (this.opts.indexedLevelPixels ?? INDEXED_JPEG_PIXELS);
  }

  /** The level's tile cutter, built once: at its restart markers (reads only the tiles' rows), else from the whole JPEG in memory. */
  private loadCutter(level: number, signal?: AbortSignal): Promise<TileCutter> {
    let p = this.cutters.get(level);
    if (!p) {
      const img = this.levelImages[level];
      const frameSize = { width: img.info.width, height: img.info.height };
      const read = (o: number, n: number, sig?: AbortSignal) => readExact(this.file.src, img.offset + o, n, sig);
      p = (async (): Promise<TileCutter> => {
        try {
          return await RestartJpegIndex.load(read, img.length, { frameSize, signal });
        } catch (e) {
          if (!(e instanceof Error && e.message === 'has no restart markers')) throw e;
        }
        const bytes = await read(0, img.length, signal);
        const layout = getJpegLayout(bytes, frameSize);
        if ('unsupported' in layout) throw new Error(`cannot be cut into tiles: ${layout.unsupported}`);
        const index = await JpegIndex.load(bytes, layout, { signal });
        return { extractWithMargin: async (x, y, w, h) => index.extractWithMargin(x, y, w, h) };
      })().catch((e) => {
        this.cutters.delete(level);
        if (e instanceof SlideError || (e instanceof DOMException && e.name === 'AbortError')) throw e;
        throw new SlideError(this.meta.name, `has a level JPEG (${img.info.width} x ${img.info.height}) that ${e instanceof Error ? e.message : String(e)}.`, 'The file is probably truncated or corrupt.');
      });
      this.cutters.set(level, p);
    }
    return p;
  }

  protected async decodeTile(level: number, col: number, row: number, signal?: AbortSignal): Promise<RgbaImage> {
    const { x, y, w, h } = this.getTileRect(level, col, row);
    if (this.isCut(level)) {
      const cut = await (await this.loadCutter(level, signal)).extractWithMargin(x, y, w, h, signal);
      let img: RgbaImage;
      try {
        img = await this.opts.codec.decodeJpeg(cut.jpeg);
      } catch (e) {
        throw new SlideError(this.meta.name, `could not decode level ${level} at (${x}, ${y}) (${e instanceof Error ? e.message : String(e)}).`, 'The file is probably corrupt.');
      }
      return crop(img, cut.offsetX, cut.offsetY, w, h);
    }
    return crop(await this.levelImage(level, signal), x, y, w, h);
  }

  async readAssociated(name: string, signal?: AbortSignal): Promise<RgbaImage> {
    const img = this.associatedImages[name];
    if (!img) throw new SlideError(this.meta.name, `has no associated image '${name}'.`, `Available: ${this.meta.associated.join(', ') || 'none'}.`);
    return this.decodeImage(img, signal);
  }

  override close(): void {
    super.close();
    this.levelCache.clear();
    this.file.close();
  }
}
