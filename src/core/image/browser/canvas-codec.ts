/**
 * Browser / worker implementation of ImageCodec: the browser's own decoders through
 * createImageBitmap + OffscreenCanvas (about 5x faster than a JS JPEG decoder and pixel-identical
 * to libvips for baseline JPEG); JPEG 2000 through a decoder the entry point passes in.
 * Import only from worker/browser entry points.
 */
import type { ImageCodec, J2kImage, JpegDecodeOptions } from '../codec.ts';
import { prepareTiffJpeg } from '../jpeg.ts';
import type { RgbaImage } from '../../slide/types.ts';

async function decodeBlob(blob: Blob): Promise<RgbaImage> {
  const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('OffscreenCanvas 2d context is not available');
    ctx.drawImage(bitmap, 0, 0);
    const img = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
    return { width: img.width, height: img.height, data: img.data };
  } finally {
    bitmap.close();
  }
}

function sniffType(bytes: Uint8Array): string {
  if (bytes[0] === 0x89 && bytes[1] === 0x50) return 'image/png';
  if (bytes[0] === 0x52 && bytes[1] === 0x49 && bytes[8] === 0x57) return 'image/webp';
  return 'image/jpeg';
}

export interface CanvasCodecOptions {
  /**
   * JPEG 2000 decoder (OpenJPEG WASM). The worker entry provides it because only the edge
   * knows how the bundler ships the emscripten glue and its .wasm.
   */
  decodeJpeg2000: (bytes: Uint8Array) => Promise<J2kImage>;
}

export function createCanvasCodec(options: CanvasCodecOptions): ImageCodec {
  return {
    decodeJpeg(bytes: Uint8Array, opts?: JpegDecodeOptions): Promise<RgbaImage> {
      const stream = prepareTiffJpeg(bytes, opts?.tables, opts?.colorTransform);
      return decodeBlob(new Blob([stream as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }));
    },
    decodeImage(bytes: Uint8Array): Promise<RgbaImage> {
      return decodeBlob(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: sniffType(bytes) }));
    },
    decodeJpeg2000(bytes: Uint8Array): Promise<J2kImage> {
      return options.decodeJpeg2000(bytes);
    },
  };
}
