/**
 * The `info` and `region` commands as a user runs them (`node bin/fusescope.mjs ...`):
 * numbers equal openslide's, PNGs equal the references (composited on white), bad input gives
 * a non-zero exit and exactly one line on stderr.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { flattenToRgb } from '../../core/image/rgba.ts';
import { FIXTURES, loadRef, REFS, ROOT, readPng, SHARED, SLIDES } from '../../core/slide/testing/refs.ts';
import { runCli } from '../testing/run-cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'fusescope-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('fusescope info', () => {
  it.each([
    ['cmu1', join(SLIDES, 'CMU-1-Small-Region.svs')],
    ['tcga', join(SLIDES, 'TCGA-CR-7395-01A-01-TS1.svs')],
    ['ndpi', join(SLIDES, 'fluorescence-DAPI.ndpi')],
  ])('%s: prints openslide numbers as JSON', async (id, path) => {
    const ref = loadRef(id);
    const r = await runCli(['info', path]);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect([info.width, info.height]).toEqual([ref.width, ref.height]);
    expect(info.levels.map((l: { width: number; height: number }) => [l.width, l.height])).toEqual(ref.levels.map((l) => [l.width, l.height]));
    info.levels.forEach((l: { downsample: number }, i: number) => {
      expect(l.downsample).toBeCloseTo(ref.levels[i].downsample, 9);
    });
    if (ref.mpp === null) expect(info.mpp).toBeNull();
    else expect(info.mpp).toBeCloseTo(ref.mpp, 9);
    expect(info.objective).toBe(ref.objective);
    expect([...info.associated].sort()).toEqual(Object.keys(ref.associated).sort());
    if (id !== 'ndpi') expect([info.tileWidth, info.tileHeight]).toEqual([ref.levels[0].tileWidth, ref.levels[0].tileHeight]);
  });

  it('a TIFF without a pyramid: the levels halved from it here are marked synthetic', async () => {
    const path = join(tmp, 'single.tif');
    await sharp(join(SHARED, 'her2st', 'images', 'C2.jpg')).tiff({ compression: 'jpeg', quality: 80 }).toFile(path);
    const r = await runCli(['info', path]);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout) as { levels: { width: number; synthetic?: boolean }[] };
    expect(info.levels.map((l) => [l.width, l.synthetic ?? false])).toEqual([
      [9274, false],
      [4637, true],
      [2319, true],
      [1160, true],
      [580, true],
      [290, true],
    ]);
  });

  it('--mpp overrides the file and is marked user', async () => {
    const r = await runCli(['info', join(SLIDES, 'TCGA-CR-7395-01A-01-TS1.svs'), '--mpp', '0.25']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.mpp).toBe(0.25);
    expect(info.mppSource).toBe('user');
  });
});

describe('fusescope region', () => {
  it.each([
    ['cmu1', 3],
    ['tcga', 4],
    ['synthetic', 2],
  ])('%s region %i: RGB PNG equal to openslide read_region composited on white', async (id, idx) => {
    const ref = loadRef(id);
    const reg = ref.regions[idx];
    const out = join(tmp, `${id}-${idx}.png`);
    const r = await runCli([
      'region',
      join(ROOT, ref.file),
      '--level', String(reg.level),
      '--x', String(reg.x),
      '--y', String(reg.y),
      '--width', String(reg.width),
      '--height', String(reg.height),
      '--out', out,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const got = readPng(out); // pngjs gives RGBA; the file is RGB (alpha 255)
    expect([got.width, got.height]).toEqual([reg.width, reg.height]);
    const want = flattenToRgb(readPng(join(REFS, reg.png)));
    let sum = 0;
    for (let i = 0; i < reg.width * reg.height; i++) for (let c = 0; c < 3; c++) sum += Math.abs(got.data[i * 4 + c] - want[i * 3 + c]);
    expect(sum / (reg.width * reg.height * 3)).toBeLessThanOrEqual(2);
    // outside the slide is white
    if (reg.x < 0) expect(Array.from(got.data.subarray(0, 4))).toEqual([255, 255, 255, 255]);
  });

  it('writes an associated image', async () => {
    const out = join(tmp, 'label.png');
    const r = await runCli(['region', join(SLIDES, 'CMU-1-Small-Region.svs'), '--associated', 'label', '--out', out]);
    expect(r.code).toBe(0);
    const got = readPng(out);
    expect([got.width, got.height]).toEqual([387, 463]);
  });
});

describe('bad input: non-zero exit, one clear line', () => {
  const C = join(FIXTURES, 'corrupt');
  it.each([
    ['empty file', ['info', join(C, 'empty.svs')], /empty\.svs: is empty \(0 bytes\)/],
    ['not a slide', ['info', join(C, 'not-a-slide.svs')], /not-a-slide\.svs: is named like a slide but its content is not one/],
    ['truncated SVS', ['info', join(C, 'truncated.svs')], /truncated\.svs: .*(truncated|damaged)/],
    ['unknown compression', ['info', join(C, 'unknown-compression.tif')], /unknown-compression\.tif: uses an unknown compression \(TIFF compression code 12345\)/],
    ['missing file', ['info', join(C, 'nope.svs')], /nope\.svs: file not found/],
    ['unsupported vendor format', ['info', join(FIXTURES, '..', 'slides', 'make_fixtures.py')], /not a supported slide format/],
    ['bad level', ['region', join(SLIDES, 'CMU-1-Small-Region.svs'), '--level', '3', '--x', '0', '--y', '0', '--width', '8', '--height', '8', '--out', join(tmp, 'x.png')], /has no level 3/],
    ['missing option', ['region', join(SLIDES, 'CMU-1-Small-Region.svs'), '--x', '0', '--out', join(tmp, 'x.png')], /--y is required/],
    ['bad mpp', ['info', join(SLIDES, 'CMU-1-Small-Region.svs'), '--mpp', 'abc'], /--mpp must be a positive number/],
  ])('%s', async (_name, args, pattern) => {
    const r = await runCli(args as string[]);
    expect(r.code).not.toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(pattern as RegExp);
    expect(r.stdout).toBe('');
  });
});
