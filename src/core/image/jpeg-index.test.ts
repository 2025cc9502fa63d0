import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, SHARED } from '../slide/testing/refs.ts';
import { halve } from './rgba.ts';
import { getJpegLayout, JpegIndex, type JpegLayout, RestartJpegIndex } from './jpeg-index.ts';

const JPEG_DIR = join(FIXTURES, 'jpeg');
const C2 = join(SHARED, 'her2st', 'images', 'C2.jpg');

interface Raw {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

async function decode(bytes: Uint8Array): Promise<Raw> {
  const { data, info } = await sharp(bytes, { limitInputPixels: false }).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

function getLayout(bytes: Uint8Array): JpegLayout {
  const l = getJpegLayout(bytes);
  if ('unsupported' in l) throw new Error(l.unsupported);
  return l;
}

/** Samples of `rect` that differ between the whole decode and the decode of its cut-out JPEG. */
async function countDiffs(index: JpegIndex, whole: Raw, x: number, y: number, w: number, h: number): Promise<number> {
  const cut = index.extractWithMargin(x, y, w, h);
  const part = await decode(cut.jpeg);
  expect(part.channels).toBe(whole.channels);
  let diffs = 0;
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w * whole.channels; i++) {
      const a = whole.data[((y + j) * whole.width + x) * whole.channels + i];
      const b = part.data[((cut.offsetY + j) * part.width + cut.offsetX) * part.channels + i];
      if (a !== b) diffs++;
    }
  }
  return diffs;
}

describe('JpegIndex: rectangles of a baseline JPEG cut out as JPEGs of their own', () => {
  const cases = [
    { file: 'restart7-420.jpg', mcu: 16, restart: 7, components: 3 },
    { file: 'optimised-444.jpg', mcu: 8, restart: 0, components: 3 },
    { file: 'grey.jpg', mcu: 8, restart: 0, components: 1 },
  ];
  for (const c of cases) {
    it(`${c.file}: any rectangle decodes to the whole image's pixels, exactly`, async () => {
      const bytes = new Uint8Array(readFileSync(join(JPEG_DIR, c.file)));
      const layout = getLayout(bytes);
      expect([layout.width, layout.height, layout.mcuWidth, layout.restartInterval, layout.components.length]).toEqual([803, 611, c.mcu, c.restart, c.components]);
      // a checkpoint every 5 MCUs, so cuts start between checkpoints too
      const index = await JpegIndex.load(bytes, layout, { checkpointMcus: 5 });
      const whole = await decode(bytes);
      const rects: [number, number, number, number][] = [
        [0, 0, 803, 611],
        [0, 0, 100, 50],
        [37, 213, 333, 101],
        [512, 0, 291, 512],
        [790, 600, 13, 11],
        [400, 17, 1, 1],
      ];
      for (const r of rects) expect(await countDiffs(index, whole, ...r), `rect ${r}`).toBe(0);
    });
  }

  it('real data: every 512 px tile row of HER2ST C2 (9,274 x 9,911 px, restart markers every row) at three columns', async () => {
    const bytes = new Uint8Array(readFileSync(C2));
    const layout = getLayout(bytes);
    const index = await JpegIndex.load(bytes, layout);
    const whole = await decode(bytes);
    let diffs = 0;
    for (let y = 0; y < layout.height; y += 512) {
      for (const x of [0, 4608, 8704]) diffs += await countDiffs(index, whole, x, y, Math.min(512, layout.width - x), Math.min(512, layout.height - y));
    }
    expect(diffs).toBe(0);
  });

  it('RestartJpegIndex: the same cut-outs from only the restart intervals they need (C2, restarts every row; the fixture, every 7 MCUs)', async () => {
    for (const [file, rects] of [
      [C2, [[0, 0, 512, 512], [4608, 7000, 512, 512], [9000, 9800, 274, 111]]],
      [join(JPEG_DIR, 'restart7-420.jpg'), [[0, 0, 803, 611], [37, 213, 333, 101], [790, 600, 13, 11]]],
    ] as const) {
      const bytes = new Uint8Array(readFileSync(file));
      let read = 0;
      const index = await RestartJpegIndex.load(async (o, n) => {
        read += n;
        return bytes.subarray(o, o + n);
      }, bytes.length);
      // one pass over the data, after the headers (read with up to 64 KiB)
      expect(read).toBeLessThanOrEqual(bytes.length + (1 << 16));
      const whole = await decode(bytes);
      for (const [x, y, w, h] of rects) {
        read = 0;
        const cut = await index.extractWithMargin(x, y, w, h);
        // C2's intervals are whole rows: a 512 px tile reads its 34 of 620 MCU rows (with its margin), not the file
        if (file === C2) expect(read, 'a tile reads its own rows only').toBeLessThan(bytes.length / 5);
        const part = await decode(cut.jpeg);
        let diffs = 0;
        for (let j = 0; j < h; j++) {
          for (let i = 0; i < w * 3; i++) {
            if (whole.data[((y + j) * whole.width + x) * 3 + i] !== part.data[((cut.offsetY + j) * part.width + cut.offsetX) * 3 + i]) diffs++;
          }
        }
        expect(diffs, `${file} rect ${x},${y}`).toBe(0);
      }
    }
    const plain = new Uint8Array(readFileSync(join(JPEG_DIR, 'optimised-444.jpg')));
    await expect(RestartJpegIndex.load(async (o, n) => plain.subarray(o, o + n), plain.length)).rejects.toThrow('has no restart markers');
    const cut = new Uint8Array(readFileSync(join(JPEG_DIR, 'restart7-420.jpg'))).slice(0, 30_000);
    await expect(RestartJpegIndex.load(async (o, n) => cut.subarray(o, o + n), cut.length)).rejects.toThrow(/restart intervals where its size needs .* \(truncated file\?\)/);
  });

  it('a frame header without the size (NDPI levels over 65,535 px) is cut with the size from elsewhere', async () => {
    const bytes = new Uint8Array(readFileSync(join(JPEG_DIR, 'restart7-420.jpg')));
    const zeroed = bytes.slice();
    const layout = getLayout(bytes);
    zeroed.fill(0, layout.sofOffset + 5, layout.sofOffset + 9);
    expect(getJpegLayout(zeroed)).toEqual({ unsupported: 'its size is not in its frame header (DNL, or over 65,535 px)' });
    const index = await RestartJpegIndex.load(async (o, n) => zeroed.subarray(o, o + n), zeroed.length, { frameSize: { width: 803, height: 611 } });
    const cut = await index.extractWithMargin(100, 200, 300, 100);
    const part = await decode(cut.jpeg);
    const ref = await sharp(bytes).extract({ left: 100, top: 200, width: 300, height: 100 }).raw().toBuffer();
    const got = await sharp(Buffer.from(part.data), { raw: { width: part.width, height: part.height, channels: 3 } }).extract({ left: cut.offsetX, top: cut.offsetY, width: 300, height: 100 }).raw().toBuffer();
    expect(Buffer.compare(got, ref)).toBe(0);
  });

  it('indexing reports progress and stops when aborted', async () => {
    const bytes = new Uint8Array(readFileSync(C2));
    const seen: number[] = [];
    await JpegIndex.load(bytes, getLayout(bytes), { onProgress: (f) => seen.push(f) });
    expect(seen.length).toBeGreaterThan(50);
    expect(seen.at(-1)).toBe(1);
    const ctrl = new AbortController();
    let calls = 0;
    const run = JpegIndex.load(bytes, getLayout(bytes), {
      signal: ctrl.signal,
      onProgress: () => {
        if (++calls === 5) ctrl.abort(new DOMException('stop', 'AbortError'));
      },
    });
    await expect(run).rejects.toThrow('stop');
    expect(calls).toBe(5);
  });

  it('says why a JPEG cannot be cut: progressive, not a JPEG', () => {
    expect(getJpegLayout(new Uint8Array(readFileSync(join(JPEG_DIR, 'progressive.jpg'))))).toEqual({ unsupported: 'it is a progressive JPEG' });
    expect(getJpegLayout(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toEqual({ unsupported: 'it is not a JPEG stream' });
  });

  it('a truncated stream is an error, not a silently grey image', async () => {
    const bytes = new Uint8Array(readFileSync(join(JPEG_DIR, 'optimised-444.jpg')));
    const cut = bytes.slice(0, Math.floor(bytes.length * 0.6));
    await expect(JpegIndex.load(cut, getLayout(cut))).rejects.toThrow(/ends before the last row|corrupt Huffman/);
  });

  describe('the reduced image from the DC coefficients', () => {
    let bytes: Uint8Array;
    let whole: Raw;
    beforeAll(async () => {
      bytes = new Uint8Array(readFileSync(join(JPEG_DIR, 'restart7-420.jpg')));
      const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      whole = { data, width: info.width, height: info.height, channels: 4 };
    });

    for (const level of [3, 4]) {
      it(`level ${level} is within a grey level or so of ${level} 2x2 halvings of the decoded image`, async () => {
        let ref = { data: whole.data as Uint8Array, width: whole.width, height: whole.height };
        for (let i = 0; i < level; i++) ref = halve(ref.data, ref.width, ref.height, 4);
        const dc = (await JpegIndex.load(bytes, getLayout(bytes), { dcLevel: level })).dcImage;
        expect(dc && [dc.width, dc.height]).toEqual([ref.width, ref.height]);
        let sum = 0;
        for (let i = 0; i < ref.data.length; i++) sum += Math.abs((dc as { data: Uint8ClampedArray }).data[i] - ref.data[i]);
        const mean = sum / ref.data.length;
        // the DC is each 8 x 8 block's exact mean; the rest is rounding and the chroma upsampling that DC skips
        expect(mean).toBeLessThan(level === 3 ? 1.5 : 1);
      });
    }

    it('grey and 4:4:4 files too', async () => {
      for (const file of ['grey.jpg', 'optimised-444.jpg']) {
        const b = new Uint8Array(readFileSync(join(JPEG_DIR, file)));
        const { data, info } = await sharp(b).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
        let ref = { data: data as Uint8Array, width: info.width, height: info.height };
        for (let i = 0; i < 3; i++) ref = halve(ref.data, ref.width, ref.height, 4);
        const dc = (await JpegIndex.load(b, getLayout(b), { dcLevel: 3 })).dcImage as { data: Uint8ClampedArray };
        let sum = 0;
        for (let i = 0; i < ref.data.length; i++) sum += Math.abs(dc.data[i] - ref.data[i]);
        expect(sum / ref.data.length, file).toBeLessThan(1.5);
      }
    });
  });
});
