/**
 * Node implementation of ImageCodec: libvips through sharp for JPEG/PNG/WebP, OpenJPEG (WASM)
 * for JPEG 2000. Import only from Node entry points (CLI, tests), never from core modules.
 */
import { createRequire } from 'node:module';
import sharp from 'sharp';
import type { ImageCodec, J2kImage, JpegDecodeOptions } from '../codec.ts';
import { type OpenJpegFactory, OpenJpegDecoderPool } from '../j2k.ts';
import { prepareTiffJpeg } from '../jpeg.ts';
import type { RgbaImage } from '../../slide/types.ts';

sharp.cache(false);

async function decodeWithSharp(bytes: Uint8Array): Promise<RgbaImage> {
  const { data, info } = await sharp(bytes, { limitInputPixels: false, failOn: 'error' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 4) throw new Error(`unexpected channel count ${info.channels}`);
  return { width: info.width, height: info.height, data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength) };
}

export function createNodeCodec(): ImageCodec {
  const require = createRequire(import.meta.url);
  const j2k = new OpenJpegDecoderPool(async () => {
    const factory = require('@cornerstonejs/codec-openjpeg/decodewasmjs') as OpenJpegFactory;
    return factory({ print: () => {}, printErr: () => {} } as Parameters<OpenJpegFactory>[0]);
  });
  return {
    decodeJpeg(bytes: Uint8Array, options?: JpegDecodeOptions): Promise<RgbaImage> {
      return decodeWithSharp(prepareTiffJpeg(bytes, options?.tables, options?.colorTransform));
    },
    decodeImage(bytes: Uint8Array): Promise<RgbaImage> {
      return decodeWithSharp(bytes);
    },
    decodeJpeg2000(bytes: Uint8Array): Promise<J2kImage> {
      return j2k.decode(bytes);
    },
  };
}
