/**
 * The image-decoding seam of core. Core never decodes JPEG/PNG/WebP itself and never looks at
 * globals to pick a decoder: the edge (CLI entry, worker entry) builds an `ImageCodec` and hands
 * it to `loadSlide`. Node: ./node/sharp-codec.ts (libvips). Browser/worker:
 * ./browser/canvas-codec.ts (createImageBitmap + OffscreenCanvas).
 */
import type { RgbaImage } from '../slide/types.ts';

export interface JpegDecodeOptions {
  /**
   * TIFF JPEGTables (tag 347): an abbreviated stream SOI, DQT/DHT..., EOI holding the tables
   * that the tile stream leaves out. Merged in front of the tile stream before decoding.
   */
  tables?: Uint8Array;
  /**
   * 'rgb': the three components are R, G, B already (TIFF photometric RGB, e.g. Aperio):
   * no YCbCr->RGB transform (an Adobe APP14 marker with transform 0 is inserted).
   * 'auto' (default): the decoder's usual JFIF rules (3 components = YCbCr).
   */
  colorTransform?: 'rgb' | 'auto';
}

/** A decoded JPEG 2000 code stream: interleaved 8-bit samples. */
export interface J2kImage {
  width: number;
  height: number;
  components: number;
  data: Uint8Array;
}

/**
 * A decoded image the decoder keeps (WebCodecs' VideoFrame): its pixels are copied out by
 * rectangle, so nothing has to copy the whole image at once. Copies come as 32-bit words in
 * B, G, R, X order (`bgrx`) or R, G, B, X; the X byte is padding (convert with rgba.ts `setOpaqueRgba`).
 */
export interface FrameImage {
  width: number;
  height: number;
  bgrx: boolean;
  /** Copy the rectangle into `dest` (w * h * 4 bytes, rows packed). */
  readRect(x: number, y: number, w: number, h: number, dest: Uint8ClampedArray): Promise<void>;
  close(): void;
}

export interface ImageCodec {
  /** Decode one JPEG stream (a TIFF tile/strip, or a whole .jpg) to RGBA. */
  decodeJpeg(bytes: Uint8Array, options?: JpegDecodeOptions): Promise<RgbaImage>;
  /** Decode a whole JPEG/PNG/WebP file to RGBA. */
  decodeImage(bytes: Uint8Array): Promise<RgbaImage>;
  /** Optional: decode a whole file into a FrameImage (the browser's JPEG path); null where it cannot. */
  decodeImageFrame?(bytes: Uint8Array): Promise<FrameImage | null>;
  /** Decode a raw JPEG 2000 code stream (J2K or JP2) to 8-bit samples, no colour conversion. */
  decodeJpeg2000(bytes: Uint8Array): Promise<J2kImage>;
  /**
   * The largest whole image (width x height) `decodeImage` / `decodeImageFrame` can decode, where
   * the platform has a limit (Chromium: 2 GiB of pixels); bigger baseline JPEGs are opened in
   * pieces (IndexedJpegSlide) either way, other bigger images get a clear error.
   */
  maxImagePixels?: number;
}
