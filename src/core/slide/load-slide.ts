/**
 * The entry point of the slide layer: `loadSlide(input, options)` detects the format and opens
 * the matching source. Used by the slide worker and by the CLI; the caller chooses the image
 * codec (Node: sharp; browser: createImageBitmap) and builds the input (file, URL, files).
 */
import type { ImageCodec } from '../image/codec.ts';
import type { SlideInput } from './bytes/byte-source.ts';
import { BlankSlide } from './blank/blank-slide.ts';
import { detectFormat } from './detect.ts';
import { DziSlide } from './dzi/dzi-slide.ts';
import { ImageSlide } from './image/image-slide.ts';
import { NdpiSlide } from './ndpi/ndpi-slide.ts';
import { loadTiffSlide } from './tiff/open-tiff.ts';
import { SlideError, type SlideSource } from './types.ts';

export interface LoadSlideOptions {
  codec: ImageCodec;
  /** um per level-0 pixel set by the user; overrides the file's (mppSource 'user'). */
  mpp?: number;
  /** Memory bound of the decoded-tile cache in bytes (default 256 MiB). */
  cacheBytes?: number;
  signal?: AbortSignal;
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
        return await NdpiSlide.open(source, opts, signal);
      case 'tiff':
        return await loadTiffSlide(source, opts, signal);
      case 'jpeg':
      case 'png':
      case 'webp':
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
