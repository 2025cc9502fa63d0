import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SlideError } from '../../core/slide/types';
import { getCaseInfo } from './loadDemo';
import { describeOpenError } from './openSlide';

const root = resolve(import.meta.dirname, '../../..');
const demoDir = resolve(root, 'public/demo');

describe('bundled demo case', () => {
  const json = JSON.parse(readFileSync(resolve(demoDir, 'case.json'), 'utf8'));
  const info = getCaseInfo(json, 'http://app.test/demo/case.json');

  it('names a slide and ST files that exist, resolved against the case file', () => {
    expect(info.slideUrl).toBe('http://app.test/demo/C2.tif');
    expect(info.stUrls).toEqual(['http://app.test/demo/C2.tsv.gz', 'http://app.test/demo/C2_selection.tsv']);
    for (const u of [info.slideUrl, ...info.stUrls]) expect(existsSync(resolve(demoDir, u.split('/').pop()!))).toBe(true);
    expect(info.source).toMatch(/Andersson.*Nature Communications/);
  });

  it('records um/px from the 200 um legacy ST pitch: the spot table agrees with it', () => {
    expect(info.mpp).toBeCloseTo(1.3798, 4);
    // median distance between array-neighbour spots in the (rescaled) selection file
    const rows = readFileSync(resolve(demoDir, 'C2_selection.tsv'), 'utf8').trim().split('\n');
    const head = rows[0].split('\t');
    const [ix, iy, px, py] = ['x', 'y', 'pixel_x', 'pixel_y'].map((c) => head.indexOf(c));
    const spots = rows.slice(1).map((r) => r.split('\t').map(Number));
    const d: number[] = [];
    for (const a of spots)
      for (const b of spots)
        if (Math.abs(a[ix] - b[ix]) + Math.abs(a[iy] - b[iy]) === 1) d.push(Math.hypot(a[px] - b[px], a[py] - b[py]));
    d.sort((p, q) => p - q);
    const median = d.length % 2 ? d[(d.length - 1) / 2] : (d[d.length / 2 - 1] + d[d.length / 2]) / 2;
    expect(200 / median).toBeCloseTo(info.mpp!, 3);
  });

  it('fits the size budget (public/demo <= 6 MB, image <= 4 MB)', () => {
    const sizes = ['C2.tif', 'C2.tsv.gz', 'C2_selection.tsv', 'case.json', 'README.md'].map((f) => statSync(resolve(demoDir, f)).size);
    expect(sizes[0]).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(6 * 1024 * 1024);
  });

  it('rejects a case without a slide', () => {
    expect(() => getCaseInfo({ st: [] }, 'http://app.test/case.json')).toThrow(/slide/);
  });
});

describe('describeOpenError', () => {
  it('keeps the file apart from what is wrong', () => {
    expect(describeOpenError(new SlideError('a.svs', 'is truncated.', 'Copy it again.'), 'a.svs')).toEqual({ file: 'a.svs', message: 'is truncated. Copy it again.' });
    const url = 'http://h/x/a.svs';
    expect(describeOpenError(new Error(`${url}: server does not answer range requests.`), 'a.svs', url)).toEqual({
      file: 'a.svs',
      message: 'server does not answer range requests.',
    });
    expect(describeOpenError(new Error('a.svs: is not a slide.'), 'a.svs')).toEqual({ file: 'a.svs', message: 'is not a slide.' });
  });
});
