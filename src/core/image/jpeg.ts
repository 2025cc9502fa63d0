/**
 * JPEG stream surgery (no pixel decoding): merging TIFF JPEGTables into a tile stream,
 * inserting an Adobe APP14 marker, reading the frame header. Shared by the Node and browser codecs.
 */

const SOI = 0xd8;
const EOI = 0xd9;

/** Prepend the tables of a TIFF JPEGTables stream (SOI ... EOI) to an abbreviated tile stream. */
export function mergeJpegTables(stream: Uint8Array, tables: Uint8Array | undefined): Uint8Array {
  if (!tables || tables.length <= 4) return stream;
  // tables: FFD8 ... FFD9; stream: FFD8 ...
  let tEnd = tables.length;
  if (tables[tEnd - 2] === 0xff && tables[tEnd - 1] === EOI) tEnd -= 2;
  const sStart = stream[0] === 0xff && stream[1] === SOI ? 2 : 0;
  const out = new Uint8Array(tEnd + stream.length - sStart);
  out.set(tables.subarray(0, tEnd), 0);
  out.set(stream.subarray(sStart), tEnd);
  return out;
}

/** Whether the stream already carries an Adobe APP14 segment (before the frame header). */
function hasAdobeMarker(stream: Uint8Array): boolean {
  let p = 2;
  while (p + 4 <= stream.length && stream[p] === 0xff) {
    const marker = stream[p + 1];
    if (marker === 0xda || (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)) return false;
    const len = (stream[p + 2] << 8) | stream[p + 3];
    if (marker === 0xee && len >= 12 && String.fromCharCode(...stream.subarray(p + 4, p + 9)) === 'Adobe') return true;
    p += 2 + len;
  }
  return false;
}

/**
 * Insert an Adobe APP14 segment right after SOI with the given colour transform
 * (0 = components are stored as-is, i.e. RGB; 1 = YCbCr). Decoders (libjpeg, browsers) honour it,
 * which is how photometric-RGB JPEG tiles (Aperio) decode without a YCbCr->RGB conversion.
 */
export function withAdobeTransform(stream: Uint8Array, transform: 0 | 1): Uint8Array {
  if (hasAdobeMarker(stream)) return stream;
  const seg = [0xff, 0xee, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, transform];
  const out = new Uint8Array(stream.length + seg.length);
  out.set(stream.subarray(0, 2), 0);
  out.set(seg, 2);
  out.set(stream.subarray(2), 2 + seg.length);
  return out;
}

export interface JpegFrame {
  width: number;
  height: number;
  components: number;
  /** Restart interval in MCUs (0 = none). */
  restartInterval: number;
  /** MCU size in pixels. */
  mcuWidth: number;
  mcuHeight: number;
}

/** Read the frame header (SOFn) and DRI of a JPEG stream; null if there is none. */
export function readJpegFrame(stream: Uint8Array): JpegFrame | null {
  if (stream[0] !== 0xff || stream[1] !== SOI) return null;
  let p = 2;
  let restartInterval = 0;
  while (p + 4 <= stream.length) {
    if (stream[p] !== 0xff) return null;
    const marker = stream[p + 1];
    if (marker === 0xff) { p++; continue; }
    const len = (stream[p + 2] << 8) | stream[p + 3];
    if (marker === 0xdd && len >= 4) restartInterval = (stream[p + 4] << 8) | stream[p + 5];
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const height = (stream[p + 5] << 8) | stream[p + 6];
      const width = (stream[p + 7] << 8) | stream[p + 8];
      const components = stream[p + 9];
      let hmax = 1;
      let vmax = 1;
      for (let c = 0; c < components; c++) {
        const s = stream[p + 11 + c * 3];
        hmax = Math.max(hmax, s >> 4);
        vmax = Math.max(vmax, s & 15);
      }
      // DRI may come after SOF: keep scanning until SOS for it
      let q = p + 2 + len;
      while (q + 4 <= stream.length && stream[q] === 0xff && stream[q + 1] !== 0xda) {
        const l2 = (stream[q + 2] << 8) | stream[q + 3];
        if (stream[q + 1] === 0xdd) restartInterval = (stream[q + 4] << 8) | stream[q + 5];
        q += 2 + l2;
      }
      return { width, height, components, restartInterval, mcuWidth: 8 * hmax, mcuHeight: 8 * vmax };
    }
    if (marker === 0xda) return null;
    p += 2 + len;
  }
  return null;
}

/** Build the complete stream a decoder should see for a TIFF JPEG tile. */
export function prepareTiffJpeg(stream: Uint8Array, tables: Uint8Array | undefined, colorTransform: 'rgb' | 'auto' | undefined): Uint8Array {
  const merged = mergeJpegTables(stream, tables);
  return colorTransform === 'rgb' ? withAdobeTransform(merged, 0) : merged;
}
