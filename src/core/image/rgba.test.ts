import { describe, expect, it } from 'vitest';
import { halve, halveGeneric } from './rgba.ts';

function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

describe('halve', () => {
  it('the 32-bit RGBA path equals the per-sample reference, odd and even sizes, extreme values', () => {
    for (const [w, h] of [[1, 1], [2, 2], [3, 5], [256, 255], [257, 129], [1000, 3]]) {
      const src = randomBytes(w * h * 4, w * 31 + h);
      const fast = halve(src, w, h, 4);
      const ref = halveGeneric(src, w, h, 4);
      expect([fast.width, fast.height]).toEqual([ref.width, ref.height]);
      expect(Buffer.from(fast.data).equals(Buffer.from(ref.data))).toBe(true);
    }
    const white = new Uint8Array(5 * 3 * 4).fill(255);
    expect(Array.from(halve(white, 5, 3, 4).data).every((v) => v === 255)).toBe(true);
    // rounding half up: (0 + 0 + 1 + 1 + 2) >> 2 = 1
    const px = new Uint8ClampedArray([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1]);
    expect(Array.from(halve(px, 2, 2, 4).data)).toEqual([1, 1, 1, 1]);
  });

  it('falls back to the reference for other channel counts and unaligned views', () => {
    const src = randomBytes(7 * 5 * 3, 7);
    expect(Buffer.from(halve(src, 7, 5, 3).data).equals(Buffer.from(halveGeneric(src, 7, 5, 3).data))).toBe(true);
    const buf = randomBytes(1 + 6 * 4 * 4, 9);
    const view = buf.subarray(1);
    expect(Buffer.from(halve(view, 6, 4, 4).data).equals(Buffer.from(halveGeneric(view, 6, 4, 4).data))).toBe(true);
  });
});
