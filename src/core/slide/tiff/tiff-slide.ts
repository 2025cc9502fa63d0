/**
 * One SlideSource for the whole TIFF family (generic pyramidal TIFF/BigTIFF, Aperio SVS,
 * OME-TIFF): a vendor module turns the IFDs into a `TiffLayout` (which IFDs are levels, which
 * are associated images, mpp, objective, properties) and this class serves tiles and regions.
 */
import type { ImageCodec } from '../../image/codec.ts';
import { blit, clearOutside, createRgba } from '../../image/rgba.ts';
import { makeLevels, TiledSlide } from '../tiled-slide.ts';
import { type MppSource, type RgbaImage, SlideError, type SlideMetadata } from '../types.ts';
import { COMPRESSION_NAMES, checkDecodable, decodeBlock, type IfdInfo, loadBlockDcImage, type TiffFile } from './tiff-file.ts';

export interface TiffLayout {
  format: string;
  levels: IfdInfo[];
  associated: Record<string, IfdInfo>;
  mpp: number | null;
  objective: number | null;
  properties: Record<string, string>;
}

export interface TiffSlideOptions {
  codec: ImageCodec;
  mpp?: number;
  cacheBytes?: number;
}

/** Decode a whole IFD (an associated image) by its tiles or strips. */
export async function decodeWholeIfd(file: TiffFile, info: IfdInfo, codec: ImageCodec, signal?: AbortSignal): Promise<RgbaImage> {
  const out = createRgba(info.width, info.height);
  const cols = info.tiled ? Math.ceil(info.width / info.blockWidth) : 1;
  const rows = Math.ceil(info.height / info.blockHeight);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const block = await decodeBlock(file, info, r * cols + c, codec, signal);
      const vw = Math.min(info.blockWidth, info.width - c * info.blockWidth);
      const vh = Math.min(info.blockHeight, info.height - r * info.blockHeight);
      blit(block, 0, 0, vw, vh, out, c * info.blockWidth, r * info.blockHeight);
    }
  }
  return out;
}

export class TiffSlide extends TiledSlide {
  readonly meta: SlideMetadata;

  constructor(
    private readonly file: TiffFile,
    private readonly layout: TiffLayout,
    private readonly opts: TiffSlideOptions,
  ) {
    super(opts.cacheBytes);
    const name = file.src.name;
    if (layout.levels.length === 0) throw new SlideError(name, 'has no image that could serve as a slide level.', 'Check that the file is a whole-slide image.');
    for (const l of layout.levels) checkDecodable(name, l);
    const levels = makeLevels(layout.levels.map((l) => ({ width: l.width, height: l.height, tileWidth: l.blockWidth, tileHeight: l.blockHeight })));
    const [l0] = levels;
    let mpp = layout.mpp;
    let mppSource: MppSource = mpp === null ? 'none' : 'file';
    if (opts.mpp !== undefined) {
      mpp = opts.mpp;
      mppSource = 'user';
    }
    const compressions = [...new Set(layout.levels.map((l) => COMPRESSION_NAMES[l.compression] ?? String(l.compression)))];
    this.meta = {
      format: layout.format,
      name,
      width: l0.width,
      height: l0.height,
      levels,
      tileWidth: l0.tileWidth,
      tileHeight: l0.tileHeight,
      mpp,
      mppSource,
      objective: layout.objective,
      associated: Object.keys(layout.associated),
      compression: compressions.join(','),
      properties: layout.properties,
    };
  }

  protected decodeTile(level: number, col: number, row: number, signal?: AbortSignal): Promise<RgbaImage> {
    const info = this.layout.levels[level];
    const index = info.tiled ? row * Math.ceil(info.width / info.blockWidth) + col : row;
    return decodeBlock(this.file, info, index, this.opts.codec, signal);
  }

  /**
   * A JPEG level reduced from its blocks' DC coefficients (SlideSource.loadDcLevel); null when the
   * level is not JPEG, its blocks are not whole multiples of the reduction, or a block cannot be read so.
   */
  async loadDcLevel(level: number, shift: number, signal?: AbortSignal): Promise<RgbaImage | null> {
    const info = this.layout.levels[level];
    const l = this.meta.levels[level];
    const f = 8 << shift;
    if (info?.compression !== 7) return null;
    // blocks must start on whole pixels of the reduced level (strips span the width)
    if (info.tiled ? info.blockWidth % f !== 0 || info.blockHeight % f !== 0 : info.blockHeight % f !== 0 && info.height > info.blockHeight) return null;
    let w = l.width;
    let h = l.height;
    for (let i = 0; i < 3 + shift; i++) {
      w = Math.ceil(w / 2);
      h = Math.ceil(h / 2);
    }
    const out = createRgba(w, h);
    const cols = info.tiled ? Math.ceil(info.width / info.blockWidth) : 1;
    const rows = Math.ceil(info.height / info.blockHeight);
    for (let r = 0; r < rows; r++) {
      const jobs: Promise<RgbaImage | null>[] = [];
      for (let c = 0; c < cols; c++) jobs.push(loadBlockDcImage(this.file, info, r * cols + c, shift, signal));
      const parts = await Promise.all(jobs);
      for (let c = 0; c < cols; c++) {
        const part = parts[c];
        if (!part) return null;
        blit(part, 0, 0, part.width, part.height, out, (c * info.blockWidth) / f, (r * info.blockHeight) / f);
      }
    }
    return out;
  }

  async readAssociated(name: string, signal?: AbortSignal): Promise<RgbaImage> {
    const info = this.layout.associated[name];
    if (!info) {
      throw new SlideError(this.meta.name, `has no associated image '${name}'.`, `Available: ${this.meta.associated.join(', ') || 'none'}.`);
    }
    checkDecodable(this.meta.name, info);
    const img = await decodeWholeIfd(this.file, info, this.opts.codec, signal);
    clearOutside(img, info.width, info.height);
    return img;
  }

  override close(): void {
    super.close();
    this.file.close();
  }
}
