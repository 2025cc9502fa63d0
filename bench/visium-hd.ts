/**
 * Visium HD benchmark (npm run bench:visium-hd): a synthetic square_016um binned output (250 x 250
 * bins of 16 um, 18,000 genes, about 1,500 UMIs per bin: about 60 million stored values; made by
 * bench/st-make-hd.py in a temp dir unless --dir is given) loaded by core's loadStDataset into
 * 96 um squares two ways, each in a fresh Node process so that its peak memory is its own:
 *   streamed: the default, the bins summed while the 10x h5 is read (readTenxH5's sumRows);
 *   whole:    the native matrix read whole, then summed in memory (what a MEX folder gets, and what
 *             the loader did before).
 * Prints the load time and peak RSS of each and the streamed/whole ratios; both give the same sums.
 *
 * usage: npx tsx bench/visium-hd.ts [--dir DIR] [--keep]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

interface ChildResult {
  loadMs: number;
  maxRssMb: number;
  squares: number;
  storedValues: number;
  /** sum of every count, to check that both ways agree */
  total: number;
}

async function child(mode: string, dir: string): Promise<void> {
  const { loadNodeStFiles } = await import('../src/core/st/files/node.ts');
  const { loadStDataset } = await import('../src/core/st/load.ts');
  const t0 = performance.now();
  let ds: Awaited<ReturnType<typeof loadStDataset>>;
  if (mode === 'streamed') {
    ds = await loadStDataset(await loadNodeStFiles([join(dir, 'square_016um')]));
  } else {
    // the native bins whole, then the same squares summed in memory
    const { getHdBinGroups, getSummedCsrRows } = await import('../src/core/st/visium/hd-bins.ts');
    const native = await loadStDataset(await loadNodeStFiles([join(dir, 'square_016um')]), { hdBinUm: 16 });
    const num = (name: string) => {
      const a = native.spots.annotations[name];
      return a.kind === 'numeric' ? Int32Array.from(a.values) : new Int32Array(0);
    };
    const g = getHdBinGroups({ x: native.spots.x, y: native.spots.y, inTissue: native.spots.inTissue, arrayRow: num('array_row'), arrayCol: num('array_col') }, 6, 96);
    ds = { ...native, matrix: getSummedCsrRows(native.matrix, g.rowOf, g.ids.length) };
  }
  const loadMs = performance.now() - t0;
  let total = 0;
  for (const v of ds.matrix.data) total += v;
  const out: ChildResult = { loadMs, maxRssMb: process.resourceUsage().maxRSS / 1024, squares: ds.matrix.nRows, storedValues: ds.matrix.data.length, total };
  console.log(JSON.stringify(out));
}

async function makeData(dir: string): Promise<void> {
  const t = performance.now();
  const r = spawnSync('/usr/bin/python3', [join(here, 'st-make-hd.py'), dir], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  if (r.status !== 0) throw new Error(`st-make-hd.py failed: ${r.stderr}`);
  const spatial = join(dir, 'square_016um', 'spatial');
  const p = JSON.parse(readFileSync(join(spatial, 'positions.json'), 'utf8'));
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const buf = parquetWriteBuffer({
    columnData: [
      { name: 'barcode', data: p.barcode, type: 'STRING' },
      { name: 'in_tissue', data: p.in_tissue, type: 'INT32' },
      { name: 'array_row', data: p.array_row, type: 'INT32' },
      { name: 'array_col', data: p.array_col, type: 'INT32' },
      { name: 'pxl_row_in_fullres', data: p.pxl_row_in_fullres, type: 'DOUBLE' },
      { name: 'pxl_col_in_fullres', data: p.pxl_col_in_fullres, type: 'DOUBLE' },
    ],
  });
  writeFileSync(join(spatial, 'tissue_positions.parquet'), new Uint8Array(buf));
  rmSync(join(spatial, 'positions.json'));
  console.error(`made ${dir} (${r.stdout.trim()}) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { dir: { type: 'string' }, keep: { type: 'boolean' }, child: { type: 'string' }, path: { type: 'string' } } });
  if (values.child && values.path) return child(values.child, values.path);
  const made = !values.dir || !existsSync(join(values.dir, 'square_016um'));
  const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'fusescope-hd-'));
  if (made) await makeData(dir);
  try {
    const run = (mode: string): ChildResult => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'visium-hd.ts'), '--child', mode, '--path', dir], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 });
      if (r.status !== 0) throw new Error(`${mode} run failed: ${r.stderr}`);
      return JSON.parse(r.stdout.trim().split('\n').pop() as string) as ChildResult;
    };
    // alternate, twice each: the machine is shared
    const results: Record<string, ChildResult[]> = { whole: [], streamed: [] };
    for (let i = 0; i < 2; i++) for (const mode of ['whole', 'streamed']) results[mode].push(run(mode));
    const best = (mode: string, k: keyof ChildResult) => Math.min(...results[mode].map((r) => r[k] as number));
    const a = results.streamed[0];
    const b = results.whole[0];
    if (a.total !== b.total || a.squares !== b.squares || a.storedValues !== b.storedValues) throw new Error(`the two ways disagree: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    console.log(`16 um bins summed into ${a.squares} squares of 96 um (${a.storedValues} stored values, ${a.total} UMIs; both ways equal)`);
    for (const mode of ['whole', 'streamed']) console.log(`${mode.padEnd(8)}: load ${best(mode, 'loadMs').toFixed(0)} ms, peak RSS ${best(mode, 'maxRssMb').toFixed(0)} MB (best of 2)`);
    const ratio = (k: keyof ChildResult) => (best('streamed', k) / best('whole', k)).toFixed(2);
    console.log(`RATIO streamed / whole: load time ${ratio('loadMs')}x, peak RSS ${ratio('maxRssMb')}x`);
  } finally {
    if (!values.dir && !values.keep) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
