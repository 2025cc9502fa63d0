/**
 * Windows bitmap (.bmp) decoding, DOM-free (Node CLI and browser workers alike).
 *
 * Why by hand: the official GlaS images (Warwick QU) and many lab exports are BMP, which libvips
 * (sharp) does not read, and the npm decoders checked (fast-bmp 4, bmp-js, bmp-ts) read 8-bit
 * images as grey (no palette), ignore top-down rows and copy byte by byte through a reader object.
 * The format is small: file header, one of the DIB headers, optional masks and palette, padded rows.
 *
 * Supported: BITMAPCOREHEADER (OS/2 1.x), BITMAPINFOHEADER and its V2-V5 extensions, OS/2 2.x
 * headers with BI_RGB; 1, 4 and 8 bits per pixel with a palette; 16 bits (5-5-5 or bit fields), 24
 * bits, 32 bits (BI_RGB or bit fields); bottom-up and top-down rows. Not supported (clear error):
 * RLE4/RLE8, embedded JPEG/PNG, CMYK. Output is opaque RGBA (slides have no transparency; an alpha
 * channel, when present, is ignored).
 */
import type { RgbaImage } from '../slide/types.ts';

/**
 * Thrown for a file that is not a bitmap FuseScope can read. The message is a verb phrase about the
 * file ("is truncated: ...", "uses RLE8 compression ..."); `unsupported` is true for a valid bitmap
 * of a kind FuseScope does not read (re-saving it helps), false for a broken file.
 */
export class BmpError extends Error {
  constructor(
    message: string,
    readonly unsupported = false,
  ) {
    super(message);
    this.name = 'BmpError';
  }
}

const COMPRESSION_NAMES: Record<number, string> = {
  1: 'RLE8',
  2: 'RLE4',
  4: 'embedded JPEG',
  5: 'embedded PNG',
  11: 'CMYK',
  12: 'CMYK RLE8',
  13: 'CMYK RLE4',
};

/** Whether `head` starts like a bitmap: 'BM' and a known DIB header size. */
export function isBmpHead(head: Uint8Array): boolean {
  if (head.length < 18 || head[0] !== 0x42 || head[1] !== 0x4d) return false;
  const dibSize = head[14] | (head[15] << 8) | (head[16] << 16) | (head[17] << 24);
  return [12, 16, 40, 52, 56, 64, 108, 124].includes(dibSize);
}

interface Channel {
  mask: number;
  shift: number;
  /** 255 / (largest value of the field) */
  scale: number;
}

function channelOf(mask: number): Channel {
  const m = mask >>> 0;
  if (m === 0) return { mask: 0, shift: 0, scale: 0 };
  let shift = 0;
  while (((m >>> shift) & 1) === 0) shift++;
  const max = m >>> shift;
  return { mask: m, shift, scale: 255 / max };
}

/**
 * Decode a whole bitmap file to opaque RGBA. Throws BmpError with the reason (not a BMP, truncated,
 * unsupported compression or depth).
 */
export function decodeBmp(bytes: Uint8Array): RgbaImage {
  if (!isBmpHead(bytes)) throw new BmpError('is not a Windows bitmap (no "BM" signature with a known header size)');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataOffset = dv.getUint32(10, true);
  const dibSize = dv.getUint32(14, true);
  if (14 + dibSize > bytes.length) throw new BmpError(`is truncated: the ${dibSize}-byte header does not fit in ${bytes.length} bytes`);
  let width: number;
  let height: number;
  let bpp: number;
  let compression = 0;
  let colorsUsed = 0;
  let paletteEntry = 4;
  if (dibSize === 12) {
    width = dv.getUint16(18, true);
    height = dv.getInt16(20, true);
    bpp = dv.getUint16(24, true);
    paletteEntry = 3;
  } else {
    width = dv.getInt32(18, true);
    height = dv.getInt32(22, true);
    bpp = dv.getUint16(28, true);
    if (dibSize >= 20) compression = dv.getUint32(30, true);
    if (dibSize >= 36) colorsUsed = dv.getUint32(46, true);
  }
  if ((dibSize === 16 || dibSize === 64) && compression !== 0) {
    throw new BmpError(`is an OS/2 bitmap with compression ${compression}, which FuseScope does not read`, true);
  }
  const topDown = height < 0;
  height = Math.abs(height);
  if (width <= 0 || height <= 0) throw new BmpError(`has an invalid size ${width} x ${height}`);
  if (COMPRESSION_NAMES[compression]) {
    throw new BmpError(`uses ${COMPRESSION_NAMES[compression]} compression, which FuseScope does not read`, true);
  }
  const bitfields = compression === 3 || compression === 6;
  if (compression !== 0 && !bitfields) throw new BmpError(`uses an unknown compression (${compression})`, true);
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) throw new BmpError(`has ${bpp} bits per pixel; supported are 1, 4, 8, 16, 24 and 32`, true);
  if (bitfields && bpp !== 16 && bpp !== 32) throw new BmpError(`declares bit-field masks with ${bpp} bits per pixel (only 16 and 32 can have them)`);

  // channel masks: bit fields in (or right after) the header, else the format's defaults
  let masks: [number, number, number];
  if (bitfields) {
    const at = 14 + 40; // inside a V2+ header, or right after a 40-byte BITMAPINFOHEADER
    if (at + 12 > bytes.length) throw new BmpError('is truncated: the bit-field masks are missing');
    masks = [dv.getUint32(at, true), dv.getUint32(at + 4, true), dv.getUint32(at + 8, true)];
  } else if (bpp === 16) {
    masks = [0x7c00, 0x03e0, 0x001f];
  } else {
    masks = [0xff0000, 0xff00, 0xff];
  }

  // palette for 1, 4, 8 bits: after the header and any masks stored outside it
  let palette: Uint8Array | null = null;
  if (bpp <= 8) {
    const n = colorsUsed > 0 ? Math.min(colorsUsed, 1 << bpp) : 1 << bpp;
    const at = 14 + dibSize + (dibSize === 40 && bitfields ? (compression === 6 ? 16 : 12) : 0);
    // a palette may be shorter than 2^bpp when the image uses fewer colours; missing entries stay black
    const have = Math.max(0, Math.min(n, Math.floor((Math.min(dataOffset, bytes.length) - at) / paletteEntry)));
    if (have === 0) throw new BmpError(`has ${bpp} bits per pixel but no colour table`);
    palette = new Uint8Array(256 * 3);
    for (let i = 0; i < have; i++) {
      const o = at + i * paletteEntry;
      palette[i * 3] = bytes[o + 2];
      palette[i * 3 + 1] = bytes[o + 1];
      palette[i * 3 + 2] = bytes[o];
    }
  }

  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  const need = stride * height;
  if (dataOffset + need > bytes.length) {
    // the last row is often stored without its padding
    const lastRow = Math.ceil((bpp * width) / 8);
    if (dataOffset + need - stride + lastRow > bytes.length) {
      throw new BmpError(`is truncated: ${width} x ${height} at ${bpp} bits needs ${need} bytes of pixels from offset ${dataOffset}, the file has ${Math.max(0, bytes.length - dataOffset)}`);
    }
  }
  if (width * height > 2 ** 31 / 4) throw new BmpError(`is too large to decode in memory (${width} x ${height})`, true);

  const out = new Uint8ClampedArray(width * height * 4);
  const [cr, cg, cb] = masks.map(channelOf);
  for (let row = 0; row < height; row++) {
    const src = dataOffset + (topDown ? row : height - 1 - row) * stride;
    let o = row * width * 4;
    if (bpp === 24) {
      for (let x = 0, s = src; x < width; x++, s += 3, o += 4) {
        out[o] = bytes[s + 2];
        out[o + 1] = bytes[s + 1];
        out[o + 2] = bytes[s];
        out[o + 3] = 255;
      }
    } else if (bpp === 32 && !bitfields) {
      for (let x = 0, s = src; x < width; x++, s += 4, o += 4) {
        out[o] = bytes[s + 2];
        out[o + 1] = bytes[s + 1];
        out[o + 2] = bytes[s];
        out[o + 3] = 255;
      }
    } else if (bpp === 16 || bpp === 32) {
      const step = bpp / 8;
      for (let x = 0, s = src; x < width; x++, s += step, o += 4) {
        const v = bpp === 16 ? dv.getUint16(s, true) : dv.getUint32(s, true);
        out[o] = Math.round(((v & cr.mask) >>> cr.shift) * cr.scale);
        out[o + 1] = Math.round(((v & cg.mask) >>> cg.shift) * cg.scale);
        out[o + 2] = Math.round(((v & cb.mask) >>> cb.shift) * cb.scale);
        out[o + 3] = 255;
      }
    } else {
      const pal = palette as Uint8Array;
      const perByte = 8 / bpp;
      const valueMask = (1 << bpp) - 1;
      for (let x = 0; x < width; x++, o += 4) {
        const byte = bytes[src + Math.floor(x / perByte)];
        const idx = (byte >> (8 - bpp * ((x % perByte) + 1))) & valueMask;
        out[o] = pal[idx * 3];
        out[o + 1] = pal[idx * 3 + 1];
        out[o + 2] = pal[idx * 3 + 2];
        out[o + 3] = 255;
      }
    }
  }
  return { width, height, data: out };
}
