/**
 * A blank canvas standing in for a missing image: spatial-transcriptomics data opened without
 * its H&E (the labelled HER2ST sections, a count matrix shared without the full-resolution scan)
 * gets a level-0 frame the size of its spot coordinates, so the viewer, the spot overlay, the
 * gene-only map, regions, areas and exports work in the spots' own pixel frame. Its tiles are one
 * flat colour; the app never runs image models on it (meta.format 'blank').
 *
 * It opens from a small JSON descriptor (`getBlankSlideDescriptor`, file name ending in
 * BLANK_SLIDE_SUFFIX), so it goes through the same loadSlide / slide-worker path as a real file.
 */
import { createRgba } from '../../image/rgba.ts';
import { type ByteSource, readExact } from '../bytes/byte-source.ts';
import { getHalvingSizes } from '../pyramid/halving.ts';
import { makeLevels, TiledSlide } from '../tiled-slide.ts';
import { type RgbaImage, SlideError, type SlideMetadata } from '../types.ts';

export const BLANK_SLIDE_FORMAT = 'blank';
export const BLANK_SLIDE_SUFFIX = '.fusescope-blank.json';
/** the canvas colour: a bright, neutral background like an empty glass slide */
const CANVAS_RGB = [236, 236, 236] as const;
const TILE = 512;
/** level 0 is at most this many px a side (the frame of a Visium full-resolution scan is about 25,000 px) */
export const MAX_BLANK_SIDE = 200_000;

export interface BlankSlideDescriptor {
  fusescope: 'blank-slide';
  version: 1;
  /** level-0 px */
  width: number;
  height: number;
  /** um per level-0 px; null when unknown */
  mpp: number | null;
  /** why there is no image, for the slide panel */
  note: string;
}

/**
 * The descriptor checked by hand: no schema library here, since this module reaches the page
 * (zod's parser compiler probes eval, which the app's CSP reports as a violation).
 */
function parseDescriptor(text: string): BlankSlideDescriptor {
  const d = JSON.parse(text) as Partial<Record<keyof BlankSlideDescriptor, unknown>>;
  const side = (v: unknown, what: string) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_BLANK_SIDE) throw new Error(`${what} must be an integer from 1 to ${MAX_BLANK_SIDE}, got ${JSON.stringify(v)}`);
    return v;
  };
  if (d.fusescope !== 'blank-slide' || d.version !== 1) throw new Error('not a version-1 "blank-slide" descriptor');
  const mpp = d.mpp ?? null;
  if (mpp !== null && !(typeof mpp === 'number' && mpp > 0 && Number.isFinite(mpp))) throw new Error(`mpp must be a positive number or null, got ${JSON.stringify(mpp)}`);
  return { fusescope: 'blank-slide', version: 1, width: side(d.width, 'width'), height: side(d.height, 'height'), mpp, note: typeof d.note === 'string' ? d.note.slice(0, 500) : '' };
}

/** The descriptor's bytes for a canvas of width x height level-0 px at `mpp` um/px (null: unknown). */
export function getBlankSlideDescriptor(width: number, height: number, mpp: number | null, note = ''): Uint8Array<ArrayBuffer> {
  const d: BlankSlideDescriptor = { fusescope: 'blank-slide', version: 1, width: Math.ceil(width), height: Math.ceil(height), mpp, note: note.slice(0, 500) };
  return new TextEncoder().encode(JSON.stringify(d));
}

/** Whether the first bytes and name are a blank-slide descriptor's. */
export function isBlankSlideHead(head: Uint8Array, name: string): boolean {
  if (!name.toLowerCase().endsWith(BLANK_SLIDE_SUFFIX)) return false;
  const text = new TextDecoder().decode(head.subarray(0, 256));
  return /^\s*\{/.test(text) && text.includes('"blank-slide"');
}

export class BlankSlide extends TiledSlide {
  readonly meta: SlideMetadata;

  private constructor(meta: SlideMetadata) {
    super(8 * 1024 * 1024);
    this.meta = meta;
  }

  static async open(src: ByteSource, opts: { mpp?: number }, signal?: AbortSignal): Promise<BlankSlide> {
    let d: BlankSlideDescriptor;
    try {
      const bytes = await readExact(src, 0, Math.min(src.size, 64 * 1024), signal);
      d = parseDescriptor(new TextDecoder().decode(bytes));
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e;
      throw new SlideError(src.name, `is not a valid blank-canvas descriptor (${e instanceof Error ? e.message : String(e)}).`, 'FuseScope writes these itself when spots are opened without an image; open the image instead.');
    } finally {
      await src.close?.();
    }
    const sizes = getHalvingSizes(d.width, d.height, TILE);
    const mpp = opts.mpp ?? d.mpp;
    const meta: SlideMetadata = {
      format: BLANK_SLIDE_FORMAT,
      name: src.name.slice(0, src.name.length - BLANK_SLIDE_SUFFIX.length) || 'no image',
      width: d.width,
      height: d.height,
      levels: makeLevels(sizes.map((s) => ({ ...s, tileWidth: TILE, tileHeight: TILE }))),
      tileWidth: TILE,
      tileHeight: TILE,
      mpp,
      mppSource: opts.mpp !== undefined ? 'user' : d.mpp !== null ? 'st-pitch' : 'none',
      objective: null,
      associated: [],
      compression: 'none',
      properties: { 'fusescope.blank': 'true', ...(d.note ? { 'fusescope.blank.note': d.note } : {}) },
    };
    return new BlankSlide(meta);
  }

  protected async decodeTile(level: number): Promise<RgbaImage> {
    const l = this.meta.levels[level];
    const img = createRgba(l.tileWidth, l.tileHeight);
    const px = img.data;
    for (let i = 0; i < px.length; i += 4) {
      px[i] = CANVAS_RGB[0];
      px[i + 1] = CANVAS_RGB[1];
      px[i + 2] = CANVAS_RGB[2];
      px[i + 3] = 255;
    }
    return img;
  }

  async readAssociated(name: string): Promise<RgbaImage> {
    throw new SlideError(this.meta.name, `has no associated image '${name}' (it is a blank canvas, not an image).`, 'Open the section image for its label and macro.');
  }
}

/** Whether a slide is the blank canvas of spots opened without an image. */
export function isBlankSlide(meta: { format: string } | null | undefined): boolean {
  return meta?.format === BLANK_SLIDE_FORMAT;
}
