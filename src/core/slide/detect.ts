/**
 * Format detection as a registry (after Vitessce's plugin list): each detector looks at the
 * first bytes and the file name and names the source folder that opens the file. Adding a
 * format = one folder + one entry here.
 */
import { isBmpHead } from '../image/bmp.ts';
import { isBlankSlideHead } from './blank/blank-slide.ts';
import { SlideError } from './types.ts';

export type SlideFormatId = 'blank' | 'dzi' | 'ndpi' | 'tiff' | 'jpeg' | 'png' | 'webp' | 'bmp';

export interface FormatDetector {
  id: SlideFormatId;
  /** Folder under src/core/slide/ that implements it. */
  folder: string;
  /** Whether this detector claims the file, from its first bytes (up to 64 KiB) and its name. */
  test(head: Uint8Array, name: string): boolean;
}

function isTiffMagic(h: Uint8Array): boolean {
  return (
    h.length >= 4 &&
    ((h[0] === 0x49 && h[1] === 0x49 && (h[2] === 42 || h[2] === 43) && h[3] === 0) ||
      (h[0] === 0x4d && h[1] === 0x4d && h[2] === 0 && (h[3] === 42 || h[3] === 43)))
  );
}

/** Tags of IFD 0 when it lies inside `head` (classic TIFF only); [] otherwise. */
export function firstIfdTags(h: Uint8Array): number[] {
  if (!isTiffMagic(h) || h[2] === 43 || h[3] === 43) return [];
  const le = h[0] === 0x49;
  const dv = new DataView(h.buffer, h.byteOffset, h.byteLength);
  const off = dv.getUint32(4, le);
  if (off + 2 > h.length) return [];
  const n = dv.getUint16(off, le);
  const tags: number[] = [];
  for (let i = 0; i < n && off + 2 + i * 12 + 2 <= h.length; i++) tags.push(dv.getUint16(off + 2 + i * 12, le));
  return tags;
}

function asciiStart(h: Uint8Array, n: number): string {
  return String.fromCharCode(...h.subarray(0, Math.min(n, h.length)));
}

export const FORMAT_DETECTORS: FormatDetector[] = [
  // the app's stand-in for a missing image (spots opened without their H&E)
  { id: 'blank', folder: 'blank', test: (h, name) => isBlankSlideHead(h, name) },
  {
    id: 'dzi',
    folder: 'dzi',
    test: (h, name) => /\.dzi$/i.test(name) || /<Image\b[^>]*xmlns="http:\/\/schemas\.microsoft\.com\/deepzoom/.test(asciiStart(h, 2048)),
  },
  {
    id: 'ndpi',
    folder: 'ndpi',
    test: (h, name) => isTiffMagic(h) && (/\.ndpi$/i.test(name) || firstIfdTags(h).includes(65420)),
  },
  { id: 'tiff', folder: 'tiff', test: (h) => isTiffMagic(h) },
  { id: 'jpeg', folder: 'image', test: (h) => h[0] === 0xff && h[1] === 0xd8 && h[2] === 0xff },
  { id: 'png', folder: 'image', test: (h) => h[0] === 0x89 && asciiStart(h.subarray(1), 3) === 'PNG' },
  { id: 'webp', folder: 'image', test: (h) => asciiStart(h, 4) === 'RIFF' && asciiStart(h.subarray(8), 4) === 'WEBP' },
  { id: 'bmp', folder: 'image', test: (h) => isBmpHead(h) },
];

const KNOWN_UNSUPPORTED: Record<string, string> = {
  mrxs: '3DHISTECH MIRAX (.mrxs)',
  czi: 'Zeiss CZI',
  vsi: 'Olympus VSI',
  isyntax: 'Philips iSyntax',
  vms: 'Hamamatsu VMS',
  vmu: 'Hamamatsu VMU',
  bif: 'Ventana BIF',
  dcm: 'DICOM',
  zarr: 'OME-Zarr',
};

const SLIDE_EXTENSIONS = /\.(svs|tif|tiff|ndpi|btf|tf8|scn|jpg|jpeg|png|webp|bmp|dzi)$/i;

/** The detector for a file, or a SlideError that says what the file is not and what to do. */
export function detectFormat(head: Uint8Array, name: string, size: number): FormatDetector {
  if (size === 0) throw new SlideError(name, 'is empty (0 bytes).', 'The copy or download probably failed; get the file again.');
  for (const d of FORMAT_DETECTORS) if (d.test(head, name)) return d;
  const ext = /\.([^.]+)$/.exec(name)?.[1]?.toLowerCase() ?? '';
  if (KNOWN_UNSUPPORTED[ext]) {
    throw new SlideError(name, `is a ${KNOWN_UNSUPPORTED[ext]} slide, which FuseScope cannot read.`, 'Convert it to a pyramidal TIFF or OME-TIFF (e.g. with vips or bfconvert).');
  }
  const magic = Array.from(head.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  if (SLIDE_EXTENSIONS.test(name)) {
    throw new SlideError(name, `is named like a slide but its content is not one (it starts with bytes ${magic}).`, 'The file is corrupt or mislabelled; check its source.');
  }
  throw new SlideError(name, `is not a supported slide format (starts with bytes ${magic}).`, 'Supported: Aperio SVS, NDPI, (OME-)TIFF/BigTIFF pyramids, Deep Zoom (.dzi), JPEG/PNG/WebP/BMP.');
}
