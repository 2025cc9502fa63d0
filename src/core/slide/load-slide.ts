/**
 * The entry point of the slide layer: `loadSlide(input, options)` detects the format and opens
 * the matching source. Used by the slide worker and by the CLI; the caller chooses the image
 * codec (Node: sharp; browser: createImageBitmap) and builds the input (file, URL, files).
 */
import type { ImageCodec } from '../image/codec.ts';
import { getJpegLayout } from '../image/jpeg-index.ts';
import { readJpegFrame } from '../image/jpeg.ts';
import { type ByteSource, readExact, type SlideInput } from './bytes/byte-source.ts';
import { BlankSlide } from './blank/blank-slide.ts';
import { detectFormat } from './detect.ts';
import { DziSlide } from './dzi/dzi-slide.ts';
import { ImageSlide } from './image/image-slide.ts';
import { INDEXED_JPEG_PIXELS, IndexedJpegSlide } from './image/indexed-jpeg-slide.ts';
import { NdpiSlide } from './ndpi/ndpi-slide.ts';
import { SyntheticLevelsSlide } from './pyramid/synthetic-levels.ts';
import { loadTiffSlide } from './tiff/open-tiff.ts';
import { SlideError, type SlideSource } from './types.ts';

export interface LoadSlideOptions {
  codec: ImageCodec;
  /** um per level-0 pixel set by the user; overrides the file's (mppSource 'user'). */
  mpp?: number;
  /** Memory bound of the decoded-tile cache in bytes (default 256 MiB). */
  cacheBytes?: number;
  signal?: AbortSignal;
  /** Long opening work (indexing a big JPEG) reports here: what it does and the fraction done. */
  onProgress?: (stage: string, fraction: number) => void;
  /**
   * Baseline JPEGs with more pixels than this open in pieces (IndexedJpegSlide), and NDPI levels
   * above it are cut into tiles at their restart markers; default INDEXED_JPEG_PIXELS (134 Mpx).
   */
  indexedJpegPixels?: number;
}

/** Width and height from a PNG's IHDR or a JPEG's frame header; null where not found. */
function getImageSize(bytes: Uint8Array, format: string): { width: number; height: number } | null {
  if (format === 'png' && bytes.length >= 24) {
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { width: v.getUint32(16), height: v.getUint32(20) };
  }
  if (format === 'jpeg') return readJpegFrame(bytes);
  return null;
}

/**
 * JPEG / PNG / WebP: a baseline JPEG above `indexedJpegPixels` through its index (decoded tile by
 * tile; a whole-slide export of any size), anything else decoded whole, and an image too big for
 * the platform's decoder gets a clear error instead of the decoder's "cannot be decoded".
 */
async function openPlainImage(
  source: ByteSource,
  format: string,
  opts: { codec: ImageCodec; mpp?: number; cacheBytes?: number; indexedJpegPixels?: number; onProgress?: (stage: string, fraction: number) => void },
  signal?: AbortSignal,
): Promise<SlideSource> {
  let bytes: Uint8Array;
  try {
    bytes = await readExact(source, 0, source.size, signal);
  } finally {
    await source.close?.();
  }
  const size = getImageSize(bytes, format);
  const pixels = size ? size.width * size.height : 0;
  let why = '';
  if (format === 'jpeg' && pixels > (opts.indexedJpegPixels ?? INDEXED_JPEG_PIXELS)) {
    const layout = getJpegLayout(bytes);
    if (!('unsupported' in layout)) {
      const onProgress = opts.onProgress;
      return IndexedJpegSlide.open(source, layout, bytes, { ...opts, onProgress: onProgress && ((f) => onProgress('indexing the JPEG', f)) }, signal);
    }
    why = layout.unsupported;
  }
  const max = opts.codec.maxImagePixels;
  if (size && max !== undefined && pixels > max) {
    const mpx = (n: number) => `${n < 1e7 ? (n / 1e6).toFixed(1) : Math.round(n / 1e6).toLocaleString('en-US')} Mpx`;
    throw new SlideError(
      source.name,
      `is ${size.width.toLocaleString('en-US')} x ${size.height.toLocaleString('en-US')} px (${mpx(pixels)}), more than this browser decodes in one piece (${mpx(max)})${why ? `, and it cannot be read in pieces: ${why}` : ''}.`,
      `Convert it to a pyramidal TIFF (vips tiffsave ${source.name} slide.tif --tile --pyramid --compression jpeg)${format === 'jpeg' ? ' or save it as a baseline (non-progressive) JPEG' : ''}, or use the fusescope CLI.`,
    );
  }
  return ImageSlide.open(source, format, opts, signal, bytes);
}

export async function loadSlide(input: SlideInput, options: LoadSlideOptions): Promise<SlideSource> {
  const { source } = input;
  const { signal } = options;
  if (options.mpp !== undefined && !(Number.isFinite(options.mpp) && options.mpp > 0)) {
    await source.close?.();
    throw new SlideError(source.name, `was given an invalid mpp (${options.mpp}).`, 'mpp must be a positive number of micrometres per pixel.');
  }
  let detector: ReturnType<typeof detectFormat>;
  try {
    const head = source.size > 0 ? await source.read(0, Math.min(source.size, 64 * 1024), signal) : new Uint8Array(0);
    detector = detectFormat(head, source.name, source.size);
  } catch (e) {
    await source.close?.();
    throw e;
  }
  const opts = { codec: options.codec, mpp: options.mpp, cacheBytes: options.cacheBytes };
  try {
    switch (detector.id) {
      case 'blank':
        return await BlankSlide.open(source, { mpp: options.mpp }, signal);
      case 'dzi':
        return await DziSlide.open(source, input.siblings, opts, signal);
      case 'ndpi':
        return await NdpiSlide.open(source, { ...opts, indexedLevelPixels: options.indexedJpegPixels }, signal);
      case 'tiff':
        return SyntheticLevelsSlide.wrap(await loadTiffSlide(source, opts, signal), { cacheBytes: opts.cacheBytes });
      case 'jpeg':
      case 'png':
      case 'webp':
        return await openPlainImage(source, detector.id, { ...opts, indexedJpegPixels: options.indexedJpegPixels, onProgress: options.onProgress }, signal);
      case 'bmp':
        return await ImageSlide.open(source, detector.id, opts, signal);
    }
  } catch (e) {
    await source.close?.();
    if (e instanceof SlideError) throw e;
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    if (e instanceof Error && e.name === 'AbortError') throw e;
    throw new SlideError(source.name, `could not be opened as ${detector.id.toUpperCase()} (${e instanceof Error ? e.message : String(e)}).`, 'The file is probably truncated or corrupt.');
  }
}
