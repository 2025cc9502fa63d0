/**
 * Big plain JPEG benchmark (npm run bench:big-jpeg): a whole-slide-sized baseline JPEG (HER2ST C2
 * mirrored out to 27,822 x 29,733 px, 827 Mpx, made with sharp in a temp dir unless --file is given)
 * opened by core's loadSlide in Node two ways, each in a fresh process so its peak memory is its own:
 *   whole:   decoded in one piece (ImageSlide: the path below 134 Mpx), then its overview read;
 *   indexed: cut into tiles (IndexedJpegSlide over JpegIndex, the default above 134 Mpx), then its
 *            overview and one full-resolution 512 px tile read.
 * Prints the time to the metadata, to the overview (the level a viewer shows first) and peak RSS,
 * and the indexed/whole ratios. In Chromium only the indexed path works at this size (the whole
 * decode is refused over 2 GiB of pixels); e2e/viewer.e2e.test.ts (8) opens such a file there.
 *
 * usage: npx tsx bench/big-jpeg.ts [--file big.jpg] [--keep]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

interface ChildResult {
  metaMs: number;
  overviewMs: number;
  tileMs: number;
  maxRssMb: number;
  access: string;
  size: string;
}

async function child(mode: string, file: string): Promise<void> {
  const { loadSlide } = await import('../src/core/slide/load-slide.ts');
  const { createNodeCodec } = await import('../src/core/image/node/sharp-codec.ts');
  const { openNodeSlideInput } = await import('../src/core/slide/bytes/node-file-source.ts');
  const t0 = performance.now();
  const slide = await loadSlide(await openNodeSlideInput(file), { codec: createNodeCodec(), indexedJpegPixels: mode === 'whole' ? Number.POSITIVE_INFINITY : undefined });
  const metaMs = performance.now() - t0;
  // the overview: the first level at most 2,048 px wide (what a viewer's home view draws)
  const levels = slide.meta.levels;
  const ov = levels.findIndex((l) => l.width <= 2048);
  await slide.readRegion(ov, 0, 0, levels[ov].width, levels[ov].height);
  const overviewMs = performance.now() - t0;
  const t1 = performance.now();
  await slide.readRegion(0, Math.floor(slide.meta.width / 2), Math.floor(slide.meta.height / 2), 512, 512);
  const tileMs = performance.now() - t1;
  const out: ChildResult = {
    metaMs,
    overviewMs,
    tileMs,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    access: slide.meta.properties['image.access'] ?? 'whole',
    size: `${slide.meta.width} x ${slide.meta.height}`,
  };
  console.log(JSON.stringify(out));
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { file: { type: 'string' }, keep: { type: 'boolean' }, child: { type: 'string' }, path: { type: 'string' } } });
  if (values.child && values.path) return child(values.child, values.path);
  let dir: string | null = null;
  let file = values.file;
  if (!file) {
    dir = mkdtempSync(join(tmpdir(), 'fusescope-bigjpeg-'));
    file = join(dir, 'big.jpg');
    const sharp = (await import('sharp')).default;
    const t = performance.now();
    // C2 is 9,274 x 9,911: mirrored out to 3 x 3 of it
    await sharp(resolve(root, '../shared/data/her2st/images/C2.jpg'), { limitInputPixels: false })
      .extend({ right: 2 * 9274, bottom: 2 * 9911, extendWith: 'mirror' })
      .jpeg({ quality: 85 })
      .toFile(file);
    console.error(`made ${file} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  try {
    const run = (mode: string): ChildResult => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'big-jpeg.ts'), '--child', mode, '--path', file as string], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 });
      if (r.status !== 0) throw new Error(`${mode} run failed: ${r.stderr}`);
      return JSON.parse(r.stdout.trim().split('\n').pop() as string) as ChildResult;
    };
    // alternate, twice each: the machine is shared
    const results: Record<string, ChildResult[]> = { whole: [], indexed: [] };
    for (let i = 0; i < 2; i++) for (const mode of ['whole', 'indexed']) results[mode].push(run(mode));
    const best = (mode: string, k: keyof ChildResult) => Math.min(...results[mode].map((r) => r[k] as number));
    console.log(`file: ${results.indexed[0].size} px`);
    for (const mode of ['whole', 'indexed']) {
      console.log(`${mode.padEnd(8)} (${results[mode][0].access}): metadata ${best(mode, 'metaMs').toFixed(0)} ms, overview ${best(mode, 'overviewMs').toFixed(0)} ms, a level-0 tile ${best(mode, 'tileMs').toFixed(0)} ms, peak RSS ${best(mode, 'maxRssMb').toFixed(0)} MB (best of 2)`);
    }
    const ratio = (k: keyof ChildResult) => (best('indexed', k) / best('whole', k)).toFixed(2);
    console.log(`ratio indexed / whole: metadata ${ratio('metaMs')}x, overview ${ratio('overviewMs')}x, peak RSS ${ratio('maxRssMb')}x`);
  } finally {
    if (dir && !values.keep) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
