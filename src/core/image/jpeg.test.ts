import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../slide/testing/refs.ts';
import { mergeJpegTables, readJpegFrame, withAdobeTransform } from './jpeg.ts';

describe('JPEG stream helpers', () => {
  const jpg = new Uint8Array(readFileSync(join(FIXTURES, 'dzi', 'crop_files', '9', '0_0.jpg')));

  it('reads the frame header', () => {
    const f = readJpegFrame(jpg);
    expect(f?.width).toBe(255);
    expect(f?.height).toBe(225);
    expect(f?.components).toBe(3);
  });

  it('inserts one Adobe APP14 (transform 0) right after SOI', () => {
    const out = withAdobeTransform(jpg, 0);
    expect(Array.from(out.subarray(0, 4))).toEqual([0xff, 0xd8, 0xff, 0xee]);
    expect(out[2 + 15]).toBe(0);
    expect(withAdobeTransform(out, 0)).toBe(out);
    expect(readJpegFrame(out)?.height).toBe(225);
  });

  it('merges TIFF JPEGTables in front of an abbreviated stream', () => {
    const tables = new Uint8Array([0xff, 0xd8, 0xff, 0xdb, 0, 3, 9, 0xff, 0xd9]);
    const tile = new Uint8Array([0xff, 0xd8, 0xff, 0xda, 1, 2]);
    expect(Array.from(mergeJpegTables(tile, tables))).toEqual([0xff, 0xd8, 0xff, 0xdb, 0, 3, 9, 0xff, 0xda, 1, 2]);
    expect(mergeJpegTables(tile, undefined)).toBe(tile);
  });
});
