/**
 * Deep Zoom (DZI): `name.dzi` (XML: TileSize, Overlap, Format, Size) + `name_files/<level>/<col>_<row>.<ext>`.
 * DZI level numbering: level `max = ceil(log2(max(w, h)))` is full resolution and each level
 * below halves it (ceil). FuseScope level i is DZI level max - i; levels stop at the first one
 * that fits in a single tile. Tiles are stored with `Overlap` extra pixels on each inner side;
 * they are cropped away so our grid is exactly TileSize.
 */
import type { ImageCodec } from '../../image/codec.ts';
import { crop } from '../../image/rgba.ts';
import type { ByteSource, SiblingReader } from '../bytes/byte-source.ts';
import { readExact } from '../bytes/byte-source.ts';
import { makeLevels, TiledSlide } from '../tiled-slide.ts';
import { type RgbaImage, SlideError, type SlideMetadata } from '../types.ts';

export interface DziDescriptor {
  width: number;
  height: number;
  tileSize: number;
  overlap: number;
  format: string;
}

function attr(xml: string, el: string, name: string): string | undefined {
  const tag = new RegExp(`<(?:\\w+:)?${el}\\b[^>]*>`).exec(xml)?.[0];
  return tag ? new RegExp(`\\s${name}\\s*=\\s*["']([^"']*)["']`).exec(tag)?.[1] : undefined;
}

export function parseDzi(xml: string, file: string): DziDescriptor {
  const width = Number(attr(xml, 'Size', 'Width'));
  const height = Number(attr(xml, 'Size', 'Height'));
  const tileSize = Number(attr(xml, 'Image', 'TileSize'));
  const overlap = Number(attr(xml, 'Image', 'Overlap') ?? 0);
  const format = attr(xml, 'Image', 'Format') ?? 'jpg';
  if (!(width > 0 && height > 0 && tileSize > 0 && overlap >= 0)) {
    throw new SlideError(file, 'is not a valid Deep Zoom descriptor (Image TileSize/Overlap/Format and Size Width/Height are needed).', 'Check the .dzi file.');
  }
  return { width, height, tileSize, overlap, format };
}

export interface DziOptions {
  codec: ImageCodec;
  mpp?: number;
  cacheBytes?: number;
}

export class DziSlide extends TiledSlide {
  readonly meta: SlideMetadata;
  private readonly maxLevel: number;
  private readonly tilesDir: string;

  private constructor(
    private readonly dzi: DziDescriptor,
    private readonly siblings: SiblingReader,
    meta: SlideMetadata,
    private readonly opts: DziOptions,
  ) {
    super(opts.cacheBytes);
    this.meta = meta;
    this.maxLevel = Math.ceil(Math.log2(Math.max(dzi.width, dzi.height)));
    this.tilesDir = `${meta.name.replace(/\.(dzi|xml)$/i, '')}_files`;
  }

  static async open(src: ByteSource, siblings: SiblingReader | undefined, opts: DziOptions, signal?: AbortSignal): Promise<DziSlide> {
    if (!siblings) throw new SlideError(src.name, 'is a Deep Zoom descriptor without its tile folder.', `Open the whole folder (the .dzi and its _files folder together).`);
    let xml: string;
    try {
      xml = new TextDecoder().decode(await readExact(src, 0, src.size, signal));
    } finally {
      await src.close?.();
    }
    const dzi = parseDzi(xml, src.name);
    const sizes: { width: number; height: number; tileWidth: number; tileHeight: number }[] = [];
    let w = dzi.width;
    let h = dzi.height;
    for (;;) {
      sizes.push({ width: w, height: h, tileWidth: dzi.tileSize, tileHeight: dzi.tileSize });
      if ((w <= dzi.tileSize && h <= dzi.tileSize) || (w === 1 && h === 1)) break;
      w = Math.ceil(w / 2);
      h = Math.ceil(h / 2);
    }
    const levels = makeLevels(sizes);
    const meta: SlideMetadata = {
      format: 'dzi',
      name: src.name,
      width: dzi.width,
      height: dzi.height,
      levels,
      tileWidth: dzi.tileSize,
      tileHeight: dzi.tileSize,
      mpp: opts.mpp ?? null,
      mppSource: opts.mpp !== undefined ? 'user' : 'none',
      objective: null,
      associated: [],
      compression: dzi.format,
      properties: { 'openslide.vendor': 'dzi', 'dzi.Overlap': String(dzi.overlap), 'dzi.Format': dzi.format },
    };
    const slide = new DziSlide(dzi, siblings, meta, opts);
    // fail now, not at the first tile, when the tile folder is missing
    const probe = await siblings(slide.tilePath(levels.length - 1, 0, 0), signal);
    if (!probe) {
      throw new SlideError(src.name, `has no tile folder next to it (${slide.tilePath(levels.length - 1, 0, 0)} is missing).`, 'Open the .dzi together with its _files folder.');
    }
    return slide;
  }

  private tilePath(level: number, col: number, row: number): string {
    return `${this.tilesDir}/${this.maxLevel - level}/${col}_${row}.${this.dzi.format}`;
  }

  protected async decodeTile(level: number, col: number, row: number, signal?: AbortSignal): Promise<RgbaImage> {
    const path = this.tilePath(level, col, row);
    const bytes = await this.siblings(path, signal);
    if (!bytes) throw new SlideError(this.meta.name, `is missing tile ${path}.`, 'Open the complete Deep Zoom folder.');
    let img: RgbaImage;
    try {
      img = await this.opts.codec.decodeImage(bytes);
    } catch (e) {
      throw new SlideError(this.meta.name, `has a tile that cannot be decoded (${path}: ${e instanceof Error ? e.message : String(e)}).`, 'The tile file is probably corrupt.');
    }
    const l = this.meta.levels[level];
    const ox = col > 0 ? this.dzi.overlap : 0;
    const oy = row > 0 ? this.dzi.overlap : 0;
    return crop(img, ox, oy, Math.min(l.tileWidth, l.width - col * l.tileWidth), Math.min(l.tileHeight, l.height - row * l.tileHeight));
  }

  async readAssociated(name: string): Promise<RgbaImage> {
    throw new SlideError(this.meta.name, `has no associated image '${name}'.`, 'Deep Zoom images have none.');
  }
}
