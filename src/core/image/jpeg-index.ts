/**
 * Random access into one big baseline JPEG without decoding it whole.
 *
 * A plain JPEG of a whole slide (a 28k x 30k px export is 3.3 GB as RGBA) cannot be decoded in one
 * piece in a browser (Chromium refuses images over 2 GiB of pixels) and costs gigabytes in Node.
 * Its entropy-coded data is one sequential Huffman stream, so any rectangle of MCUs can still be
 * turned into a small standalone JPEG: walk the stream once, keep the decoder state (bit position
 * and DC predictors) every `checkpointMcus` MCUs, and to cut a rectangle, start at the nearest
 * checkpoint, skip to the first wanted MCU, and re-emit the wanted MCUs' Huffman codes as they are,
 * except the DC coefficients, which are re-encoded from their absolute values (their predictors
 * restart in the new stream) with the standard DC table. No coefficient changes, so any JPEG
 * decoder gives the pixels it would give for that part of the whole image, except where chroma
 * upsampling reaches across the cut: callers cut one MCU more on each side and crop it away
 * (`extractWithMargin`).
 *
 * Supported: sequential Huffman JPEG (SOF0 / SOF1, 8-bit), one scan with every component
 * (interleaved) or a single-component image, any sampling factors, restart markers. Not supported
 * (`getJpegLayout` says why): progressive, arithmetic-coded, lossless, 12-bit, multi-scan.
 * This is what libjpeg's jpegtran -crop does, without its full coefficient decode.
 */

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const DHT = 0xc4;
const DRI = 0xdd;

interface HuffTable {
  /** 9-bit lookahead: (code length << 8) | symbol, 0 where the code is longer */
  look: Uint16Array;
  /** per code length 1..16: largest code of that length (-1: none) */
  maxcode: Int32Array;
  /** per length: index into `values` of the first code of that length, minus that code */
  valoff: Int32Array;
  values: Uint8Array;
}

export interface JpegComponent {
  id: number;
  h: number;
  v: number;
  /** DC and AC table ids (from the scan header) */
  td: number;
  ta: number;
  /** the DC quantisation step (block mean = DC * step / 8 + 128) */
  dcQuant: number;
}

export interface JpegLayout {
  width: number;
  height: number;
  components: JpegComponent[];
  mcuWidth: number;
  mcuHeight: number;
  mcusPerRow: number;
  mcuRows: number;
  restartInterval: number;
  /** byte offset of the SOF segment, its marker, and of the SOS segment and of the entropy-coded data */
  sofOffset: number;
  sosOffset: number;
  dataOffset: number;
  dc: (HuffTable | undefined)[];
  ac: (HuffTable | undefined)[];
  /** blocks of each MCU: the component index of each, in stream order */
  mcuBlocks: Uint8Array;
  /** how the components map to RGB (from their count, an Adobe APP14 marker or their ids), null: not RGB-able (CMYK) */
  colour: 'grey' | 'ycbcr' | 'rgb' | null;
}

/** The standard luminance DC table (ITU T.81 K.3), which codes every 8-bit DC category 0-11. */
const STD_DC_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const STD_DC_VALUES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

function buildHuff(bits: ArrayLike<number>, values: Uint8Array): HuffTable {
  const look = new Uint16Array(512);
  const maxcode = new Int32Array(18).fill(-1);
  const valoff = new Int32Array(18);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const n = bits[len - 1];
    valoff[len] = k - code;
    for (let i = 0; i < n; i++) {
      if (len <= 9) {
        const shift = 9 - len;
        const base = code << shift;
        for (let j = 0; j < 1 << shift; j++) look[base + j] = (len << 8) | values[k];
      }
      code++;
      k++;
    }
    if (n > 0) maxcode[len] = code - 1;
    code <<= 1;
  }
  return { look, maxcode, valoff, values };
}

/** Codes (value << 5 | length) of the standard DC table, by category. */
const STD_DC_CODES = (() => {
  const out = new Uint32Array(12);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    for (let i = 0; i < STD_DC_BITS[len - 1]; i++) out[STD_DC_VALUES[k++]] = (code++ << 5) | len;
    code <<= 1;
  }
  return out;
})();

/** Why a JPEG cannot be indexed (a user-facing phrase), or its layout. */
export function getJpegLayout(bytes: Uint8Array, frameSize?: { width: number; height: number }): JpegLayout | { unsupported: string } {
  if (bytes[0] !== 0xff || bytes[1] !== SOI) return { unsupported: 'it is not a JPEG stream' };
  const dc: (HuffTable | undefined)[] = [];
  const ac: (HuffTable | undefined)[] = [];
  let restartInterval = 0;
  let sofOffset = -1;
  let width = 0;
  let height = 0;
  let frame: { id: number; h: number; v: number; tq: number }[] = [];
  const dcQuant: number[] = [];
  let adobe = -1;
  let jfif = false;
  let p = 2;
  while (p + 4 <= bytes.length) {
    if (bytes[p] !== 0xff) return { unsupported: `its marker structure is broken at byte ${p}` };
    const marker = bytes[p + 1];
    if (marker === 0xff) {
      p++;
      continue;
    }
    const len = (bytes[p + 2] << 8) | bytes[p + 3];
    const seg = p + 4;
    if (marker === DHT) {
      let q = seg;
      while (q < p + 2 + len) {
        const tc = bytes[q] >> 4;
        const th = bytes[q] & 15;
        const bits = bytes.subarray(q + 1, q + 17);
        let n = 0;
        for (const b of bits) n += b;
        const table = buildHuff(bits, bytes.slice(q + 17, q + 17 + n));
        (tc === 0 ? dc : ac)[th] = table;
        q += 17 + n;
      }
    } else if (marker === 0xdb) {
      let q = seg;
      while (q < p + 2 + len) {
        const pq = bytes[q] >> 4;
        dcQuant[bytes[q] & 15] = pq ? (bytes[q + 1] << 8) | bytes[q + 2] : bytes[q + 1];
        q += 1 + 64 * (pq ? 2 : 1);
      }
    } else if (marker === 0xee && len >= 12 && bytes[seg] === 0x41 && bytes[seg + 1] === 0x64) {
      adobe = bytes[seg + 11];
    } else if (marker === 0xe0 && len >= 7 && bytes[seg] === 0x4a && bytes[seg + 1] === 0x46) {
      jfif = true;
    } else if (marker === DRI) {
      restartInterval = (bytes[seg] << 8) | bytes[seg + 1];
    } else if (marker >= 0xc0 && marker <= 0xcf && marker !== DHT && marker !== 0xc8 && marker !== 0xcc) {
      if (marker === 0xc2 || marker === 0xc6 || marker === 0xca || marker === 0xce) return { unsupported: 'it is a progressive JPEG' };
      if (marker >= 0xc9) return { unsupported: 'it uses arithmetic coding' };
      if (marker === 0xc3 || marker === 0xc7) return { unsupported: 'it is a lossless JPEG' };
      if (marker !== 0xc0 && marker !== 0xc1) return { unsupported: `its frame type (SOF${marker - 0xc0}) is not sequential Huffman` };
      if (bytes[seg] !== 8) return { unsupported: `it has ${bytes[seg]}-bit samples` };
      height = (bytes[seg + 1] << 8) | bytes[seg + 2];
      width = (bytes[seg + 3] << 8) | bytes[seg + 4];
      // NDPI levels over 65,535 px write 0 and keep the size in the TIFF tags
      if (frameSize && (width === 0 || height === 0)) ({ width, height } = frameSize);
      const nf = bytes[seg + 5];
      frame = [];
      for (let c = 0; c < nf; c++) {
        const s = bytes[seg + 7 + c * 3];
        frame.push({ id: bytes[seg + 6 + c * 3], h: s >> 4, v: s & 15, tq: bytes[seg + 8 + c * 3] });
      }
      sofOffset = p;
    } else if (marker === SOS) {
      if (sofOffset < 0) return { unsupported: 'its scan comes before its frame header' };
      if (height === 0 || width === 0) return { unsupported: 'its size is not in its frame header (DNL, or over 65,535 px)' };
      const ns = bytes[seg];
      if (ns !== frame.length) return { unsupported: 'its components are coded in separate scans' };
      const components: JpegComponent[] = [];
      for (let i = 0; i < ns; i++) {
        const id = bytes[seg + 1 + i * 2];
        const t = bytes[seg + 2 + i * 2];
        const f = frame.find((c) => c.id === id);
        if (!f) return { unsupported: `its scan names an unknown component ${id}` };
        if (!dc[t >> 4] || !ac[t & 15]) return { unsupported: 'its scan uses a Huffman table it does not define' };
        if (dcQuant[f.tq] === undefined) return { unsupported: 'its frame uses a quantisation table it does not define' };
        components.push({ id, h: f.h, v: f.v, td: t >> 4, ta: t & 15, dcQuant: dcQuant[f.tq] });
      }
      const hmax = Math.max(...frame.map((c) => c.h));
      const vmax = Math.max(...frame.map((c) => c.v));
      const single = ns === 1;
      const mcuWidth = single ? 8 * (hmax / components[0].h) : 8 * hmax;
      const mcuHeight = single ? 8 * (vmax / components[0].v) : 8 * vmax;
      if (!Number.isInteger(mcuWidth) || !Number.isInteger(mcuHeight)) return { unsupported: 'its sampling factors are unusual' };
      const blocks: number[] = [];
      components.forEach((c, i) => {
        const n = single ? 1 : c.h * c.v;
        for (let b = 0; b < n; b++) blocks.push(i);
      });
      return {
        width,
        height,
        components,
        mcuWidth,
        mcuHeight,
        mcusPerRow: Math.ceil(width / mcuWidth),
        mcuRows: Math.ceil(height / mcuHeight),
        restartInterval,
        sofOffset,
        sosOffset: p,
        dataOffset: p + 2 + len,
        dc,
        ac,
        mcuBlocks: Uint8Array.from(blocks),
        colour: getColour(frame.map((c) => c.id), adobe, jfif),
      };
    } else if (marker === EOI) break;
    p += 2 + len;
  }
  return { unsupported: 'it has no image scan' };
}

/** libjpeg's rules (jdapimin.c default_decompress_parms) for what 1, 3 or 4 components hold. */
function getColour(ids: number[], adobe: number, jfif: boolean): JpegLayout['colour'] {
  if (ids.length === 1) return 'grey';
  if (ids.length !== 3) return null;
  if (jfif) return 'ycbcr';
  if (adobe >= 0) return adobe === 0 ? 'rgb' : 'ycbcr';
  if (ids[0] === 82 && ids[1] === 71 && ids[2] === 66) return 'rgb';
  return 'ycbcr';
}

/** Appends bits MSB first, with JPEG byte stuffing (0x00 after 0xFF). */
class BitWriter {
  buf: Uint8Array;
  n = 0;
  private acc = 0;
  private cnt = 0;

  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(1024, capacity));
  }

  bytes(src: ArrayLike<number>): void {
    this.reserve(src.length);
    for (let i = 0; i < src.length; i++) this.buf[this.n++] = src[i];
  }

  private reserve(extra: number): void {
    if (this.n + extra <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + extra));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }

  /** `len` (<= 16) low bits of `value` */
  bits(value: number, len: number): void {
    this.acc = (this.acc << len) | (value & ((1 << len) - 1));
    this.cnt += len;
    if (this.cnt >= 8) {
      this.reserve(6);
      do {
        this.cnt -= 8;
        const b = (this.acc >>> this.cnt) & 0xff;
        this.buf[this.n++] = b;
        if (b === 0xff) this.buf[this.n++] = 0;
      } while (this.cnt >= 8);
    }
  }

  /** Pad the last byte with 1 bits (T.81 F.1.2.3). */
  flush(): void {
    if (this.cnt > 0) this.bits(0x7f, 8 - this.cnt);
  }

  result(): Uint8Array {
    return this.buf.subarray(0, this.n);
  }
}

/** Every segment before the scan except SOF, DRI and metadata, then a DHT redefining the scan's DC tables as the standard one (it codes every category). */
function makeHead(data: Uint8Array, layout: JpegLayout): Uint8Array {
  const parts: number[] = [];
  let p = 2;
  while (p < layout.sosOffset) {
    const marker = data[p + 1];
    if (data[p] !== 0xff || marker === 0xff) {
      p++;
      continue;
    }
    const len = (data[p + 2] << 8) | data[p + 3];
    // metadata (EXIF with its thumbnail, ICC, XMP, comments) would be copied into every tile, and
    // the decoders here ignore it; JFIF (APP0) and Adobe (APP14) say what the components are: kept
    const metadata = (marker >= 0xe1 && marker <= 0xed) || marker === 0xef || marker === 0xfe;
    if (marker !== DRI && !metadata && p !== layout.sofOffset) for (let i = p; i < p + 2 + len; i++) parts.push(data[i]);
    p += 2 + len;
  }
  const ids = [...new Set(layout.components.map((c) => c.td))];
  const body: number[] = [];
  for (const id of ids) body.push(id, ...STD_DC_BITS, ...STD_DC_VALUES);
  parts.push(0xff, DHT, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body);
  return Uint8Array.from(parts);
}

/** What a cut-out JPEG starts with: the head, the frame header with the rectangle's size, the scan header. */
interface RectHeader {
  head: Uint8Array;
  sof: Uint8Array;
  sos: Uint8Array;
}

function getRectHeader(data: Uint8Array, layout: JpegLayout): RectHeader {
  const segment = (at: number) => data.slice(at, at + 2 + ((data[at + 2] << 8) | data[at + 3]));
  return { head: makeHead(data, layout), sof: segment(layout.sofOffset), sos: segment(layout.sosOffset) };
}

function checkRect(L: JpegLayout, c0: number, r0: number, c1: number, r1: number): void {
  if (!(0 <= c0 && c0 < c1 && c1 <= L.mcusPerRow && 0 <= r0 && r0 < r1 && r1 <= L.mcuRows)) {
    throw new RangeError(`MCU rectangle [${c0}, ${c1}) x [${r0}, ${r1}) is outside ${L.mcusPerRow} x ${L.mcuRows}`);
  }
}

/** A writer holding the cut-out's headers for MCU columns [c0, c1) of rows [r0, r1). */
function beginRect(L: JpegLayout, h: RectHeader, c0: number, r0: number, c1: number, r1: number, estimate: number): BitWriter {
  const width = Math.min(L.width - c0 * L.mcuWidth, (c1 - c0) * L.mcuWidth);
  const height = Math.min(L.height - r0 * L.mcuHeight, (r1 - r0) * L.mcuHeight);
  const sof = h.sof.slice();
  sof[5] = height >> 8;
  sof[6] = height & 0xff;
  sof[7] = width >> 8;
  sof[8] = width & 0xff;
  const out = new BitWriter(estimate + h.head.length + 1024);
  out.bytes([0xff, SOI]);
  out.bytes(h.head);
  out.bytes(sof);
  out.bytes(h.sos);
  return out;
}

function endRect(out: BitWriter): Uint8Array {
  out.flush();
  out.bytes([0xff, EOI]);
  return out.result();
}

/** MCU rectangle -> standalone JPEG, with one MCU of margin (see JpegIndex.extractWithMargin). */
function getMarginRect(L: JpegLayout, x: number, y: number, w: number, h: number): { c0: number; r0: number; c1: number; r1: number; offsetX: number; offsetY: number } {
  const c0 = Math.max(0, Math.floor(x / L.mcuWidth) - 1);
  const r0 = Math.max(0, Math.floor(y / L.mcuHeight) - 1);
  const c1 = Math.min(L.mcusPerRow, Math.ceil((x + w) / L.mcuWidth) + 1);
  const r1 = Math.min(L.mcuRows, Math.ceil((y + h) / L.mcuHeight) + 1);
  return { c0, r0, c1, r1, offsetX: x - c0 * L.mcuWidth, offsetY: y - r0 * L.mcuHeight };
}

/** Per checkpoint: byte position, bit accumulator, bit count, MCUs left before a restart marker, then 4 DC predictors. */
const CP = 8;

export interface JpegIndexOptions {
  /** a checkpoint every this many MCUs of a row (and at every row start); default 32 */
  checkpointMcus?: number;
  signal?: AbortSignal;
  /** called with the fraction of MCU rows walked (or of bytes scanned) */
  onProgress?: (fraction: number) => void;
  /**
   * Also make a reduced image from the blocks' DC coefficients (each 8 x 8 block's mean: libjpeg's
   * 1/8 scaled decode without its chroma smoothing), box-averaged further to level `dcLevel` (>= 3)
   * of the halving pyramid (level k is ceil(width / 2^k) wide). Not for CMYK (`layout.colour` null).
   */
  dcLevel?: number;
}

/** Accumulates the DC image (level 3) of MCU rows into level 3 + s, a row of output pixels at a time. */
class DcImage {
  readonly image: { width: number; height: number; data: Uint8ClampedArray };
  private readonly sum: Float64Array;
  private readonly w3: number;
  private readonly h3: number;
  private outRow = 0;

  constructor(
    private readonly layout: JpegLayout,
    private readonly shift: number,
  ) {
    this.w3 = Math.ceil(layout.width / 8);
    this.h3 = Math.ceil(layout.height / 8);
    const f = 1 << shift;
    const width = Math.ceil(this.w3 / f);
    const height = Math.ceil(this.h3 / f);
    this.image = { width, height, data: new Uint8ClampedArray(width * height * 4) };
    this.sum = new Float64Array(width * 3);
  }

  /** The level-3 rows of MCU row `r`, from its DC values. */
  addMcuRow(r: number, dc: Int16Array[]): void {
    const L = this.layout;
    const single = L.mcuBlocks.length === 1;
    const hmax = single ? 1 : Math.max(...L.components.map((c) => c.h));
    const vmax = single ? 1 : Math.max(...L.components.map((c) => c.v));
    const rows = single ? 1 : vmax;
    const n = L.components.length;
    const rgb = new Float64Array(3);
    const v = new Float64Array(3);
    for (let j = 0; j < rows; j++) {
      const py = r * rows + j;
      if (py >= this.h3) return;
      for (let px = 0; px < this.w3; px++) {
        for (let ci = 0; ci < n; ci++) {
          const c = L.components[ci];
          const ch = single ? 1 : c.h;
          const cv = single ? 1 : c.v;
          const bx = Math.floor((px * ch) / hmax);
          const by = Math.floor((j * cv) / vmax);
          v[ci] = (dc[ci][by * L.mcusPerRow * ch + bx] * c.dcQuant) / 8 + 128;
        }
        if (L.colour === 'grey') rgb.fill(v[0]);
        else if (L.colour === 'rgb') rgb.set(v);
        else {
          const cb = v[1] - 128;
          const cr = v[2] - 128;
          rgb[0] = v[0] + 1.402 * cr;
          rgb[1] = v[0] - 0.344136 * cb - 0.714136 * cr;
          rgb[2] = v[0] + 1.772 * cb;
        }
        const o = (px >> this.shift) * 3;
        for (let k = 0; k < 3; k++) this.sum[o + k] += Math.min(255, Math.max(0, rgb[k]));
      }
      if (((py + 1) & ((1 << this.shift) - 1)) === 0 || py + 1 === this.h3) this.flushRow(py);
    }
  }

  private flushRow(py: number): void {
    const f = 1 << this.shift;
    const { width, data } = this.image;
    const y = this.outRow++;
    const cellH = py + 1 - y * f;
    for (let x = 0; x < width; x++) {
      const count = Math.min(f, this.w3 - x * f) * cellH;
      const o = (y * width + x) * 4;
      for (let k = 0; k < 3; k++) data[o + k] = Math.round(this.sum[x * 3 + k] / count);
      data[o + 3] = 255;
    }
    this.sum.fill(0);
  }
}

/**
 * Sequential Huffman decoder state: reads the entropy-coded data, optionally copying every MCU to a
 * BitWriter (codes as they are, DC re-encoded from absolute values).
 */
class Walker {
  pos = 0;
  acc = 0;
  cnt = 0;
  /** MCUs before the next restart marker (when the stream has them) */
  toRestart = 0;
  /** zero bytes fed past the data (markers or the end): > 0 at the end means the data ran short */
  starved = 0;
  readonly pred = new Int32Array(4);
  readonly outPred = new Int32Array(4);
  /** the MCU column of the next MCU (kept only when `dcRow` is set) */
  col = 0;
  /**
   * When set: every block's DC coefficient of the current MCU row, per component, row-major over the
   * component's blocks in the row ((mcusPerRow * h) per block row, v block rows; 1 x 1 for a single-component scan)
   */
  dcRow: Int16Array[] | null = null;
  private readonly blockDx: Uint8Array;
  private readonly blockDy: Uint8Array;

  constructor(
    private readonly data: Uint8Array,
    private readonly layout: JpegLayout,
  ) {
    const n = layout.mcuBlocks.length;
    this.blockDx = new Uint8Array(n);
    this.blockDy = new Uint8Array(n);
    for (let b = 0, first = 0; b < n; b++) {
      const c = layout.components[layout.mcuBlocks[b]];
      if (b > 0 && layout.mcuBlocks[b] !== layout.mcuBlocks[b - 1]) first = b;
      this.blockDx[b] = n === 1 ? 0 : (b - first) % c.h;
      this.blockDy[b] = n === 1 ? 0 : Math.floor((b - first) / c.h);
    }
  }

  save(into: Float64Array, at: number): void {
    into[at] = this.pos;
    into[at + 1] = this.acc >>> 0;
    into[at + 2] = this.cnt;
    into[at + 3] = this.toRestart;
    for (let i = 0; i < 4; i++) into[at + 4 + i] = this.pred[i];
  }

  load(from: Float64Array, at: number): void {
    this.pos = from[at];
    this.acc = from[at + 1] | 0;
    this.cnt = from[at + 2];
    this.toRestart = from[at + 3];
    for (let i = 0; i < 4; i++) this.pred[i] = from[at + 4 + i];
    this.outPred.fill(0);
    this.starved = 0;
  }

  private fill(): void {
    const d = this.data;
    while (this.cnt <= 24) {
      let b = 0;
      const p = this.pos;
      if (p < d.length) {
        b = d[p];
        if (b === 0xff) {
          const nb = d[p + 1];
          if (nb === 0) this.pos = p + 2;
          else {
            // a marker: feed zeros without passing it (a restart is handled by the MCU loop)
            b = 0;
            this.starved++;
          }
        } else this.pos = p + 1;
      } else this.starved++;
      this.acc = (this.acc << 8) | b;
      this.cnt += 8;
    }
  }

  /** Decode one Huffman symbol; returns (code length << 24) | (code << 8) | symbol. */
  private decode(t: HuffTable): number {
    if (this.cnt < 16) this.fill();
    const peek = (this.acc >>> (this.cnt - 9)) & 511;
    const e = t.look[peek];
    if (e !== 0) {
      const len = e >> 8;
      this.cnt -= len;
      return (len << 24) | ((peek >>> (9 - len)) << 8) | (e & 255);
    }
    const code16 = (this.acc >>> (this.cnt - 16)) & 0xffff;
    for (let len = 10; len <= 16; len++) {
      const code = code16 >>> (16 - len);
      if (code <= t.maxcode[len]) {
        this.cnt -= len;
        return (len << 24) | (code << 8) | t.values[t.valoff[len] + code];
      }
    }
    throw new Error('corrupt Huffman code');
  }

  private receive(n: number): number {
    if (this.cnt < n) this.fill();
    this.cnt -= n;
    return (this.acc >>> this.cnt) & ((1 << n) - 1);
  }

  private restart(): void {
    const d = this.data;
    this.acc = 0;
    this.cnt = 0;
    let p = this.pos;
    while (p < d.length && d[p] === 0xff && d[p + 1] === 0xff) p++;
    if (p >= d.length - 1) throw new Error('the compressed data ends before the last row (truncated file?)');
    if (!(d[p] === 0xff && d[p + 1] >= 0xd0 && d[p + 1] <= 0xd7)) throw new Error(`restart marker missing at byte ${p}`);
    this.pos = p + 2;
    this.starved = 0;
    this.pred.fill(0);
    this.toRestart = this.layout.restartInterval;
  }

  /** Walk `count` MCUs, copying them to `out` when given. */
  mcus(count: number, out: BitWriter | null): void {
    const { mcuBlocks, components, dc, ac, restartInterval } = this.layout;
    const pred = this.pred;
    for (let m = 0; m < count; m++) {
      if (restartInterval > 0) {
        if (this.toRestart === 0) this.restart();
        this.toRestart--;
      }
      for (let b = 0; b < mcuBlocks.length; b++) {
        const ci = mcuBlocks[b];
        const comp = components[ci];
        // DC
        const s = this.decode(dc[comp.td] as HuffTable) & 255;
        let diff = 0;
        if (s > 0) {
          const r = this.receive(s);
          diff = r < 1 << (s - 1) ? r - (1 << s) + 1 : r;
        }
        const abs = pred[ci] + diff;
        pred[ci] = abs;
        if (this.dcRow) {
          const h = mcuBlocks.length === 1 ? 1 : comp.h;
          const rowLen = this.layout.mcusPerRow * h;
          this.dcRow[ci][this.blockDy[b] * rowLen + this.col * h + this.blockDx[b]] = abs;
        }
        if (out) {
          const d = abs - this.outPred[ci];
          this.outPred[ci] = abs;
          const a = d < 0 ? -d : d;
          const cat = a === 0 ? 0 : 32 - Math.clz32(a);
          const c = STD_DC_CODES[cat];
          out.bits(c >>> 5, c & 31);
          if (cat > 0) out.bits(d < 0 ? d + (1 << cat) - 1 : d, cat);
        }
        // AC: codes and extra bits copied as they are
        const act = ac[comp.ta] as HuffTable;
        for (let k = 1; k < 64; ) {
          const e = this.decode(act);
          const rs = e & 255;
          if (out) out.bits((e >>> 8) & 0xffff, e >>> 24);
          const size = rs & 15;
          if (size === 0) {
            if (rs !== 0xf0) break;
            k += 16;
            continue;
          }
          const bits = this.receive(size);
          if (out) out.bits(bits, size);
          k += (rs >> 4) + 1;
        }
      }
      this.col++;
    }
  }
}

/**
 * A small JPEG's reduced image from its blocks' DC coefficients alone (no IDCT, no upsampling):
 * level 3 (1/8) of its halving pyramid, box-averaged `shift` more times; null where the components
 * are not greyscale, YCbCr or RGB. Throws on corrupt data. For whole-slide tiles (a TIFF's JPEG
 * tiles), where decoding every tile only to reduce it costs far more.
 */
export function getJpegDcImage(data: Uint8Array, layout: JpegLayout, shift = 0): { width: number; height: number; data: Uint8ClampedArray } | null {
  if (!layout.colour) return null;
  const w = new Walker(data, layout);
  w.pos = layout.dataOffset;
  w.toRestart = layout.restartInterval;
  const single = layout.mcuBlocks.length === 1;
  w.dcRow = layout.components.map((c) => new Int16Array(layout.mcusPerRow * (single ? 1 : c.h * c.v)));
  const dc = new DcImage(layout, shift);
  for (let r = 0; r < layout.mcuRows; r++) {
    w.col = 0;
    w.mcus(layout.mcusPerRow, null);
    dc.addMcuRow(r, w.dcRow);
  }
  if (w.starved > 4) throw new Error('the compressed data ends before the last row (truncated?)');
  return dc.image;
}

/** A JPEG whose MCU rectangles can be cut out as standalone JPEG streams (see the module comment). */
export class JpegIndex {
  private constructor(
    private readonly data: Uint8Array,
    readonly layout: JpegLayout,
    /** checkpoints: row-major, `perRow` per MCU row, CP numbers each */
    private readonly checkpoints: Float64Array,
    private readonly step: number,
    private readonly perRow: number,
    private readonly header: RectHeader,
    /** the reduced image from the DC coefficients (JpegIndexOptions.dcLevel), RGBA */
    readonly dcImage: { width: number; height: number; data: Uint8ClampedArray } | null,
  ) {}

  /**
   * Walk the whole stream once (about the cost of its Huffman decode). Throws on corrupt data.
   * Every 1% of the rows it reports progress and yields to the event loop, so that a worker sees an
   * abort (options.signal) while it walks.
   */
  static async load(data: Uint8Array, layout: JpegLayout, options: JpegIndexOptions = {}): Promise<JpegIndex> {
    const step = Math.max(1, options.checkpointMcus ?? 32);
    const { mcusPerRow, mcuRows } = layout;
    const perRow = Math.ceil(mcusPerRow / step);
    const checkpoints = new Float64Array(mcuRows * perRow * CP);
    const w = new Walker(data, layout);
    w.pos = layout.dataOffset;
    w.toRestart = layout.restartInterval;
    const dcImage = options.dcLevel !== undefined && options.dcLevel >= 3 && layout.colour ? new DcImage(layout, options.dcLevel - 3) : null;
    if (dcImage) {
      const single = layout.mcuBlocks.length === 1;
      w.dcRow = layout.components.map((c) => new Int16Array(mcusPerRow * (single ? 1 : c.h * c.v)));
    }
    const every = Math.max(1, Math.round(mcuRows / 100));
    for (let r = 0; r < mcuRows; r++) {
      w.col = 0;
      for (let k = 0; k < perRow; k++) {
        w.save(checkpoints, (r * perRow + k) * CP);
        w.mcus(Math.min(step, mcusPerRow - k * step), null);
      }
      if (dcImage && w.dcRow) dcImage.addMcuRow(r, w.dcRow);
      if (r % every === 0 && r > 0) {
        options.onProgress?.(r / mcuRows);
        await yieldToEventLoop();
        if (options.signal?.aborted) throw options.signal.reason ?? new DOMException('Aborted', 'AbortError');
      }
    }
    // the last MCU may end right at the data's end (zero bytes fed past EOI are fine);
    // more than the 4 bytes of look-ahead means the data ran out before the last MCU
    if (w.starved > 4) throw new Error('the compressed data ends before the last row (truncated file?)');
    options.onProgress?.(1);
    return new JpegIndex(data, layout, checkpoints, step, perRow, getRectHeader(data, layout), dcImage?.image ?? null);
  }

  /**
   * MCU columns [c0, c1) of MCU rows [r0, r1) as a standalone baseline JPEG (same components,
   * sampling, quantisation and AC tables; no restart markers). Its pixels start at
   * (c0 * mcuWidth, r0 * mcuHeight) of the whole image.
   */
  extract(c0: number, r0: number, c1: number, r1: number): Uint8Array {
    const L = this.layout;
    checkRect(L, c0, r0, c1, r1);
    // compressed size is roughly proportional to the MCUs taken
    const share = ((c1 - c0) * (r1 - r0)) / (L.mcusPerRow * L.mcuRows);
    const out = beginRect(L, this.header, c0, r0, c1, r1, Math.ceil((this.data.length - L.dataOffset) * share * 1.1));
    const w = new Walker(this.data, L);
    const rowEndPred = new Int32Array(4);
    for (let r = r0; r < r1; r++) {
      const k = Math.floor(c0 / this.step);
      w.load(this.checkpoints, (r * this.perRow + k) * CP);
      // keep the DC values the new stream has coded so far across rows
      if (r > r0) w.outPred.set(rowEndPred);
      w.mcus(c0 - k * this.step, null);
      w.mcus(c1 - c0, out);
      rowEndPred.set(w.outPred);
    }
    return endRect(out);
  }

  /**
   * Pixels [x, x + w) x [y, y + h) (image pixels) as a standalone JPEG cut one MCU wider on each
   * side where the image allows, so chroma upsampling sees the same neighbours as in the whole
   * image; `offsetX`, `offsetY` say where the wanted pixels start in it.
   */
  extractWithMargin(x: number, y: number, w: number, h: number): { jpeg: Uint8Array; offsetX: number; offsetY: number } {
    const m = getMarginRect(this.layout, x, y, w, h);
    return { jpeg: this.extract(m.c0, m.r0, m.c1, m.r1), offsetX: m.offsetX, offsetY: m.offsetY };
  }
}

/** Let queued messages (an abort) run: a macrotask, without setTimeout's clamping. */
function yieldToEventLoop(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(null);
  });
}

/** Bytes of the JPEG from a file: `read(offset, length)` relative to the stream's first byte (SOI). */
export type JpegBytes = (offset: number, length: number, signal?: AbortSignal) => Promise<Uint8Array>;

/**
 * The same cut-outs for a JPEG with restart markers (every NDPI level), without holding or
 * decoding it: one pass over its bytes finds where each restart interval starts (a search for
 * 0xFF D0-D7, no Huffman decoding), and a cut-out reads just the intervals of its MCU rows. At an
 * interval's start the DC predictors are 0 and the bits byte-aligned, so the walk starts there.
 */
export class RestartJpegIndex {
  private constructor(
    private readonly read: JpegBytes,
    readonly layout: JpegLayout,
    /** byte offset (from SOI) of each restart interval's first byte, then the end of the data */
    private readonly starts: Float64Array,
    private readonly header: RectHeader,
  ) {}

  /**
   * `length`: the stream's size in bytes; `frameSize`: the size when the frame header has 0 (NDPI
   * over 65,535 px). Throws when the stream has no restart markers or their count is wrong.
   */
  static async load(read: JpegBytes, length: number, options: { frameSize?: { width: number; height: number }; signal?: AbortSignal; onProgress?: (fraction: number) => void } = {}): Promise<RestartJpegIndex> {
    // the headers: up to the scan, which starts within the first bytes unless huge APP segments come first
    let headLen = Math.min(length, 1 << 16);
    let head = await read(0, headLen, options.signal);
    let layout = getJpegLayout(head, options.frameSize);
    while ('unsupported' in layout && layout.unsupported === 'it has no image scan' && headLen < length) {
      headLen = Math.min(length, headLen * 4);
      head = await read(0, headLen, options.signal);
      layout = getJpegLayout(head, options.frameSize);
    }
    if ('unsupported' in layout) throw new Error(`cannot be cut into tiles: ${layout.unsupported}`);
    const R = layout.restartInterval;
    if (R <= 0) throw new Error('has no restart markers');
    const intervals = Math.ceil((layout.mcusPerRow * layout.mcuRows) / R);
    const starts = new Float64Array(intervals + 1);
    starts[0] = layout.dataOffset;
    let n = 1;
    const CHUNK = 8 << 20;
    let prevFF = false;
    for (let at = layout.dataOffset; at < length && n < intervals; at += CHUNK) {
      if (options.signal?.aborted) throw options.signal.reason ?? new DOMException('Aborted', 'AbortError');
      const buf = await read(at, Math.min(CHUNK, length - at), options.signal);
      let i = 0;
      if (prevFF && buf[0] >= 0xd0 && buf[0] <= 0xd7) {
        if (n < intervals) starts[n++] = at + 1;
        i = 1;
      }
      for (;;) {
        i = buf.indexOf(0xff, i);
        if (i < 0 || i + 1 >= buf.length) break;
        const m = buf[i + 1];
        if (m >= 0xd0 && m <= 0xd7) {
          if (m - 0xd0 !== (n - 1) % 8) throw new Error(`restart marker ${n} is out of sequence (corrupt data at byte ${at + i})`);
          starts[n++] = at + i + 2;
          if (n >= intervals) break;
          i += 2;
        } else i += m === 0xff ? 1 : 2;
      }
      prevFF = buf[buf.length - 1] === 0xff;
      options.onProgress?.(Math.min(1, (at + CHUNK) / length));
    }
    if (n < intervals) throw new Error(`has ${n} restart intervals where its size needs ${intervals} (truncated file?)`);
    starts[intervals] = length;
    return new RestartJpegIndex(read, layout, starts, getRectHeader(head, layout));
  }

  /** As JpegIndex.extract; reads the restart intervals of each MCU row it needs. */
  async extract(c0: number, r0: number, c1: number, r1: number, signal?: AbortSignal): Promise<Uint8Array> {
    const L = this.layout;
    checkRect(L, c0, r0, c1, r1);
    const R = L.restartInterval;
    const rows: Promise<Uint8Array>[] = [];
    const skips: number[] = [];
    let bytes = 0;
    for (let r = r0; r < r1; r++) {
      const m0 = r * L.mcusPerRow + c0;
      const i0 = Math.floor(m0 / R);
      const i1 = Math.floor((m0 + (c1 - c0) - 1) / R);
      const from = this.starts[i0];
      const to = this.starts[i1 + 1];
      bytes += to - from;
      skips.push(m0 - i0 * R);
      rows.push(this.read(from, to - from, signal));
    }
    const data = await Promise.all(rows);
    const out = beginRect(L, this.header, c0, r0, c1, r1, Math.ceil(bytes * 1.1));
    const pred = new Int32Array(4);
    for (let k = 0; k < data.length; k++) {
      const w = new Walker(data[k], L);
      w.toRestart = R;
      w.outPred.set(pred);
      w.mcus(skips[k], null);
      w.mcus(c1 - c0, out);
      pred.set(w.outPred);
    }
    return endRect(out);
  }

  async extractWithMargin(x: number, y: number, w: number, h: number, signal?: AbortSignal): Promise<{ jpeg: Uint8Array; offsetX: number; offsetY: number }> {
    const m = getMarginRect(this.layout, x, y, w, h);
    return { jpeg: await this.extract(m.c0, m.r0, m.c1, m.r1, signal), offsetX: m.offsetX, offsetY: m.offsetY };
  }
}
