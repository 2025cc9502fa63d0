/**
 * A TIFF opened through geotiff.js over a ByteSource: the IFD chain (plus SubIFDs, which
 * geotiff's getImageCount does not list), typed tag access, raw tile/strip bytes, and decoding
 * of one block with the codec (JPEG, JPEG 2000) or geotiff's own decoders (LZW, Deflate, ...).
 */
import { GeoTIFF, getDecoder, type ImageFileDirectory } from 'geotiff';
import type { ImageCodec } from '../../image/codec.ts';
import { getJpegDcImage, getJpegLayout } from '../../image/jpeg-index.ts';
import { prepareTiffJpeg } from '../../image/jpeg.ts';
import { toRgba } from '../../image/rgba.ts';
import { type ByteSource, readExact, throwIfAborted } from '../bytes/byte-source.ts';
import { type RgbaImage, SlideError } from '../types.ts';

type GeoTiffSource = Parameters<typeof GeoTIFF.fromSource>[0];

const BLOCK = 64 * 1024;

/**
 * geotiff's BaseSource over our ByteSource, with a small cache of 64 KiB blocks so IFD and tag
 * reads (many small ones) cost few range requests.
 */
function makeGeoTiffSource(src: ByteSource): GeoTiffSource {
  const blocks = new Map<number, Promise<Uint8Array>>();
  const block = (i: number, signal?: AbortSignal): Promise<Uint8Array> => {
    let p = blocks.get(i);
    if (!p) {
      p = src.read(i * BLOCK, BLOCK, signal);
      p.catch(() => blocks.delete(i));
      blocks.set(i, p);
      if (blocks.size > 256) blocks.delete(blocks.keys().next().value as number);
    }
    return p;
  };
  const readRange = async (offset: number, length: number, signal?: AbortSignal): Promise<ArrayBuffer> => {
    const end = Math.min(src.size, offset + length);
    const out = new Uint8Array(Math.max(0, length));
    if (end <= offset) return out.buffer;
    if (length > 4 * BLOCK) {
      out.set(await src.read(offset, end - offset, signal));
      return out.buffer;
    }
    const b0 = Math.floor(offset / BLOCK);
    const b1 = Math.floor((end - 1) / BLOCK);
    const parts = await Promise.all(Array.from({ length: b1 - b0 + 1 }, (_, k) => block(b0 + k, signal)));
    for (let k = 0; k < parts.length; k++) {
      const bStart = (b0 + k) * BLOCK;
      const from = Math.max(offset, bStart) - bStart;
      const to = Math.min(end, bStart + parts[k].length) - bStart;
      if (to > from) out.set(parts[k].subarray(from, to), bStart + from - offset);
    }
    // geotiff reads a fixed-size window for IFDs: a window past EOF is padded with zeros
    return out.buffer;
  };
  const source = {
    fetch: (slices: { offset: number; length: number }[], signal?: AbortSignal) =>
      Promise.all(slices.map((s) => readRange(s.offset, s.length, signal))),
    fetchSlice: async (slice: { offset: number; length: number }, signal?: AbortSignal) => ({
      ...slice,
      data: await readRange(slice.offset, slice.length, signal),
    }),
    get fileSize() {
      return src.size;
    },
    close: async () => {},
  };
  return source as unknown as GeoTiffSource;
}

export type Ifd = ImageFileDirectory;

/** TIFF compression codes we name in messages and metadata. */
export const COMPRESSION_NAMES: Record<number, string> = {
  1: 'none',
  5: 'lzw',
  7: 'jpeg',
  8: 'deflate',
  32946: 'deflate',
  32773: 'packbits',
  33003: 'jpeg2000',
  33005: 'jpeg2000',
  34712: 'jpeg2000',
  50000: 'zstd',
  50001: 'webp',
};

const GEOTIFF_DECODED = new Set([1, 5, 8, 32946, 32773, 50000, 50001]);

export class TiffFile {
  private constructor(
    readonly src: ByteSource,
    readonly tiff: GeoTIFF,
    readonly ifds: Ifd[],
  ) {}

  static async open(src: ByteSource, signal?: AbortSignal): Promise<TiffFile> {
    let tiff: GeoTIFF;
    try {
      tiff = await GeoTIFF.fromSource(makeGeoTiffSource(src), {}, signal);
    } catch (e) {
      throw new SlideError(src.name, `is not a readable TIFF (${e instanceof Error ? e.message : String(e)}).`, 'Check that the file is a complete TIFF/SVS/NDPI.');
    }
    const ifds: Ifd[] = [];
    const seen = new Set<number>();
    let offset = tiff.firstIFDOffset;
    try {
      while (offset !== 0 && ifds.length < 4096) {
        throwIfAborted(signal);
        if (seen.has(offset)) break; // a loop in the IFD chain
        if (offset >= src.size) {
          if (ifds.length === 0) throw new Error(`the first IFD lies at byte ${offset}, past the end of the file (${src.size} bytes)`);
          break;
        }
        seen.add(offset);
        const ifd = await tiff.parser.parseFileDirectoryAt(offset);
        ifds.push(ifd);
        offset = ifd.nextIFDByteOffset;
      }
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e;
      throw new SlideError(src.name, `is a damaged TIFF: its image directory cannot be read (${e instanceof Error ? e.message : String(e)}).`, 'The file is probably truncated or corrupt; copy it again.');
    }
    if (ifds.length === 0) throw new SlideError(src.name, 'is a TIFF without any image.', 'Check the file.');
    return new TiffFile(src, tiff, ifds);
  }

  get littleEndian(): boolean {
    return this.tiff.littleEndian;
  }

  get bigTiff(): boolean {
    return this.tiff.bigTiff;
  }

  /** The SubIFDs (tag 330) of an IFD, e.g. an OME-TIFF pyramid; [] if none. */
  async subIfds(ifd: Ifd): Promise<Ifd[]> {
    if (!ifd.hasTag(330)) return [];
    const raw = await ifd.loadValue(330);
    const offsets = (Array.isArray(raw) || ArrayBuffer.isView(raw) ? Array.from(raw as ArrayLike<number | bigint>) : [raw]).map(Number);
    const out: Ifd[] = [];
    for (const off of offsets) {
      if (off > 0 && off < this.src.size) out.push(await this.tiff.parser.parseFileDirectoryAt(off));
    }
    return out;
  }

  close(): void {
    void this.src.close?.();
  }
}

/** A tag value as a number (first element of arrays); undefined if absent. */
export async function tagNumber(ifd: Ifd, tag: string | number): Promise<number | undefined> {
  if (!ifd.hasTag(tag as never)) return undefined;
  const v: unknown = await ifd.loadValue(tag as never);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' || typeof v === 'bigint') return Number(v);
  if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    const a = v as ArrayLike<number>;
    // RATIONAL comes as [numerator, denominator]
    return a.length === 2 && (tag === 'XResolution' || tag === 'YResolution' || tag === 282 || tag === 283) ? Number(a[0]) / Number(a[1]) : Number(a[0]);
  }
  return Number(v);
}

export async function tagString(ifd: Ifd, tag: string | number): Promise<string | undefined> {
  if (!ifd.hasTag(tag as never)) return undefined;
  const v: unknown = await ifd.loadValue(tag as never);
  if (typeof v === 'string') return v.replace(/\0+$/, '');
  return v === undefined ? undefined : String(v);
}

export async function tagBytes(ifd: Ifd, tag: string | number): Promise<Uint8Array | undefined> {
  if (!ifd.hasTag(tag as never)) return undefined;
  const v: unknown = await ifd.loadValue(tag as never);
  if (v instanceof Uint8Array) return v;
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return Uint8Array.from(v as ArrayLike<number>);
  return undefined;
}

/** The geometry and coding of one IFD, read once. */
export interface IfdInfo {
  index: number;
  ifd: Ifd;
  width: number;
  height: number;
  tiled: boolean;
  /** block = tile, or strip (width x rowsPerStrip) */
  blockWidth: number;
  blockHeight: number;
  compression: number;
  photometric: number;
  samplesPerPixel: number;
  bitsPerSample: number;
  planar: number;
  predictor: number;
  newSubfileType: number;
  description: string;
  jpegTables?: Uint8Array;
}

export async function readIfdInfo(ifd: Ifd, index: number): Promise<IfdInfo> {
  const width = (await tagNumber(ifd, 'ImageWidth')) ?? 0;
  const height = (await tagNumber(ifd, 'ImageLength')) ?? 0;
  const tiled = ifd.hasTag('TileWidth');
  const blockWidth = tiled ? ((await tagNumber(ifd, 'TileWidth')) ?? 0) : width;
  const blockHeight = tiled ? ((await tagNumber(ifd, 'TileLength')) ?? 0) : Math.min(height, (await tagNumber(ifd, 'RowsPerStrip')) ?? height);
  return {
    index,
    ifd,
    width,
    height,
    tiled,
    blockWidth,
    blockHeight,
    compression: (await tagNumber(ifd, 'Compression')) ?? 1,
    photometric: (await tagNumber(ifd, 'PhotometricInterpretation')) ?? 2,
    samplesPerPixel: (await tagNumber(ifd, 'SamplesPerPixel')) ?? 1,
    bitsPerSample: (await tagNumber(ifd, 'BitsPerSample')) ?? 8,
    planar: (await tagNumber(ifd, 'PlanarConfiguration')) ?? 1,
    predictor: (await tagNumber(ifd, 'Predictor')) ?? 1,
    newSubfileType: (await tagNumber(ifd, 'NewSubfileType')) ?? 0,
    description: (await tagString(ifd, 'ImageDescription')) ?? '',
    jpegTables: await tagBytes(ifd, 'JPEGTables'),
  };
}

/** Offset and byte count of block `index` (tiles or strips). */
export async function blockRange(info: IfdInfo, index: number): Promise<{ offset: number; length: number }> {
  const offTag = info.tiled ? 'TileOffsets' : 'StripOffsets';
  const lenTag = info.tiled ? 'TileByteCounts' : 'StripByteCounts';
  const offset = Number(await info.ifd.loadValueIndexed(offTag, index));
  const length = Number(await info.ifd.loadValueIndexed(lenTag, index));
  return { offset, length };
}

/** Limited-range YCbCr -> RGB with libjpeg's integer tables (as openslide does for JPEG 2000 YCbCr). */
export function ycbcrToRgbInPlace(data: Uint8Array | Uint8ClampedArray, pixels: number, stride: number): void {
  for (let i = 0; i < pixels; i++) {
    const o = i * stride;
    const Y = data[o];
    const cb = data[o + 1] - 128;
    const cr = data[o + 2] - 128;
    // libjpeg jdcolor.c: FIX(1.40200), FIX(0.34414), FIX(0.71414), FIX(1.77200), SCALEBITS 16
    const r = Y + ((91881 * cr + 32768) >> 16);
    const g = Y + ((-22554 * cb - 46802 * cr + 32768) >> 16);
    const b = Y + ((116130 * cb + 32768) >> 16);
    data[o] = r < 0 ? 0 : Math.min(r , 255);
    data[o + 1] = g < 0 ? 0 : Math.min(g , 255);
    data[o + 2] = b < 0 ? 0 : Math.min(b , 255);
  }
}

function unsupported(file: string, what: string): SlideError {
  return new SlideError(file, `uses ${what}, which FuseScope cannot read.`, 'Convert the slide to a tiled pyramidal TIFF (e.g. vips tiffsave --tile --pyramid --compression jpeg).');
}

/** Fail early with a clear message for codings we cannot decode. */
export function checkDecodable(file: string, info: IfdInfo): void {
  const c = info.compression;
  if (c !== 7 && c !== 33003 && c !== 33005 && c !== 34712 && !GEOTIFF_DECODED.has(c)) {
    throw unsupported(file, `an unknown compression (TIFF compression code ${c}) in image ${info.index}`);
  }
  if (info.bitsPerSample !== 8 && info.bitsPerSample !== 16) throw unsupported(file, `${info.bitsPerSample}-bit samples`);
  if (info.samplesPerPixel > 4) throw unsupported(file, `${info.samplesPerPixel} samples per pixel (multi-channel images)`);
  if (![0, 1, 2, 6].includes(info.photometric)) throw unsupported(file, `photometric interpretation ${info.photometric}`);
  if (info.photometric === 6 && c !== 7 && c !== 33003 && c !== 33005) throw unsupported(file, 'uncompressed YCbCr');
}

/**
 * Block `index` of a JPEG-compressed IFD reduced 8 x 2^shift times from its DC coefficients
 * (`getJpegDcImage`), for the full block size; null where the IFD is not JPEG or the block cannot
 * be read that way (the caller decodes instead).
 */
export async function loadBlockDcImage(file: TiffFile, info: IfdInfo, index: number, shift: number, signal?: AbortSignal): Promise<RgbaImage | null> {
  if (info.compression !== 7) return null;
  const { offset, length } = await blockRange(info, index);
  if (length === 0) return null;
  const bytes = prepareTiffJpeg(await readExact(file.src, offset, length, signal), info.jpegTables, info.photometric === 2 ? 'rgb' : 'auto');
  const layout = getJpegLayout(bytes);
  if ('unsupported' in layout) return null;
  return getJpegDcImage(bytes, layout, shift);
}

/**
 * Decode block `index` of an IFD to RGBA (full block size; the caller clears the part past
 * the image edge). JPEG through the codec (tables merged; photometric RGB decoded without a
 * colour transform), JPEG 2000 through OpenJPEG (33003: YCbCr converted like openslide),
 * everything else through geotiff's decoders.
 */
export async function decodeBlock(file: TiffFile, info: IfdInfo, index: number, codec: ImageCodec, signal?: AbortSignal): Promise<RgbaImage> {
  const name = file.src.name;
  const { blockWidth: bw, blockHeight: bh } = info;
  const blocksPerPlane = info.tiled ? Math.ceil(info.width / bw) * Math.ceil(info.height / bh) : Math.ceil(info.height / bh);
  const { offset, length } = await blockRange(info, index);
  if (length === 0) return { width: bw, height: bh, data: new Uint8ClampedArray(bw * bh * 4) };
  const bytes = await readExact(file.src, offset, length, signal);
  throwIfAborted(signal);
  const c = info.compression;
  try {
    if (c === 7) {
      return await codec.decodeJpeg(bytes, { tables: info.jpegTables, colorTransform: info.photometric === 2 ? 'rgb' : 'auto' });
    }
    if (c === 33003 || c === 33005 || c === 34712) {
      const j = await codec.decodeJpeg2000(bytes);
      if (c === 33003) ycbcrToRgbInPlace(j.data, j.width * j.height, j.components);
      return toRgba(j.data, j.width, j.height, j.components);
    }
    const params = {
      tileWidth: bw,
      tileHeight: bh,
      planarConfiguration: info.planar,
      bitsPerSample: info.planar === 2 ? info.bitsPerSample : Array(info.samplesPerPixel).fill(info.bitsPerSample),
      predictor: info.predictor,
      samplesPerPixel: info.samplesPerPixel,
    };
    const decoder = await getDecoder(c, params);
    const planes: Uint8Array[] = [];
    const planeCount = info.planar === 2 ? info.samplesPerPixel : 1;
    for (let p = 0; p < planeCount; p++) {
      const raw = p === 0 ? bytes : await (async () => {
        const r = await blockRange(info, index + p * blocksPerPlane);
        return readExact(file.src, r.offset, r.length, signal);
      })();
      const dec = await decoder.decode(raw.slice().buffer);
      let u8 = new Uint8Array(dec as ArrayBuffer);
      if (info.bitsPerSample === 16) {
        const n = u8.byteLength >> 1;
        const dv = new DataView(dec as ArrayBuffer);
        const o8 = new Uint8Array(n);
        for (let i = 0; i < n; i++) o8[i] = dv.getUint16(i * 2, file.littleEndian) >> 8;
        u8 = o8;
      }
      planes.push(u8);
    }
    const spp = info.samplesPerPixel;
    let samples: Uint8Array;
    if (planeCount > 1) {
      samples = new Uint8Array(bw * bh * spp);
      for (let p = 0; p < spp; p++) for (let i = 0; i < bw * bh; i++) samples[i * spp + p] = planes[p][i];
    } else samples = planes[0];
    const rows = Math.min(bh, Math.floor(samples.length / (bw * spp)));
    if (info.photometric === 0) for (let i = 0; i < samples.length; i++) samples[i] = 255 - samples[i];
    const img = toRgba(samples.subarray(0, bw * rows * spp), bw, rows, Math.min(spp , 4));
    return img;
  } catch (e) {
    if (e instanceof SlideError || (e instanceof DOMException && e.name === 'AbortError')) throw e;
    throw new SlideError(name, `has a block that cannot be decoded (image ${info.index}, block ${index}, ${COMPRESSION_NAMES[c] ?? `compression ${c}`}: ${e instanceof Error ? e.message : String(e)}).`, 'The file is probably corrupt; copy or export it again.');
  }
}
