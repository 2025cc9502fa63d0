#!/usr/bin/env node
/**
 * ST parse benchmark (npm run bench:st): a Space Ranger-style filtered_feature_bc_matrix.h5 of
 * 5,000 spots x 33,000 genes (~7% non-zeros, gzip level 1, 80,000-element chunks) + positions is
 * generated in a temp dir with /usr/bin/python3 + h5py (bench/st-make-h5.py), then read to a ready
 * StDataset by FuseScope's core in Node (a fresh process, so its memory is its own), and by the
 * Python stack scanpy.read_10x_h5 uses (bench/st-read-python.py; scanpy itself is not packaged in
 * Debian), on the same file in the same command. Prints times, memory and the ratio.
 * Targets: < 2 s and < 300 MB JS heap (heap + array buffers) on a 2-core machine.
 *
 * usage: node bench/st-parse.mjs [--spots 5000] [--genes 33000] [--density 0.07] [--keep]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

if (process.argv[2] === '--child') {
  // measured process: node --expose-gc bench/st-parse.mjs --child <dir>
  // h5wasm is imported before tsx is registered: tsx would otherwise run esbuild over its 4 MB
  // JS+wasm file (about 3 s and 600 MB RSS), which measures tsx, not the loader.
  const dir = process.argv[3];
  const mb = (b) => Math.round((b / 1048576) * 10) / 10;
  const t0 = performance.now();
  const h5wasm = (await import('h5wasm/node')).default;
  await h5wasm.ready;
  const { register } = await import('tsx/esm/api');
  register();
  const { loadNodeStFiles } = await import(join(root, 'src/core/st/files/node.ts'));
  const { loadStDataset } = await import(join(root, 'src/core/st/load.ts'));
  const tInit = performance.now() - t0;
  const files = await loadNodeStFiles([dir]);
  globalThis.gc?.();
  const base = process.memoryUsage();
  const t1 = performance.now();
  let ds = await loadStDataset(files);
  const tFirst = performance.now() - t1;
  const maxRssFirst = process.resourceUsage().maxRSS * 1024;
  globalThis.gc?.();
  const after = process.memoryUsage();
  const bytes =
    ds.matrix.indptr.byteLength + ds.matrix.indices.byteLength + ds.matrix.data.byteLength + ds.spots.x.byteLength * 2 + ds.spots.inTissue.byteLength;
  const summary = { spots: ds.spots.ids.length, genes: ds.genes.symbols.length, nnz: ds.matrix.indices.length };
  ds = null;
  globalThis.gc?.();
  const t2 = performance.now();
  ds = await loadStDataset(files);
  const tSecond = performance.now() - t2;
  process.stdout.write(
    JSON.stringify({
      initMs: tInit,
      firstMs: tFirst,
      secondMs: tSecond,
      ...summary,
      datasetMB: mb(bytes),
      heapUsedMB: mb(after.heapUsed - base.heapUsed),
      arrayBuffersMB: mb(after.arrayBuffers - base.arrayBuffers),
      externalMB: mb(after.external - base.external),
      rssBeforeMB: mb(base.rss),
      maxRssFirstMB: mb(maxRssFirst),
      maxRssMB: mb(process.resourceUsage().maxRSS * 1024),
    }),
  );
  process.exit(0);
}

const { values } = parseArgs({
  options: { spots: { type: 'string', default: '5000' }, genes: { type: 'string', default: '33000' }, density: { type: 'string', default: '0.07' }, keep: { type: 'boolean' } },
});
const dir = mkdtempSync(join(tmpdir(), 'fusescope-st-bench-'));
try {
  const gen = JSON.parse(execFileSync('/usr/bin/python3', [join(here, 'st-make-h5.py'), dir, values.spots, values.genes, values.density], { encoding: 'utf8' }));
  const h5 = join(dir, 'filtered_feature_bc_matrix.h5');
  console.log(`file: ${gen.spots} spots x ${gen.genes} genes, ${gen.nnz} non-zeros (${(gen.density * 100).toFixed(1)}%), ${(statSync(h5).size / 1048576).toFixed(1)} MB gzip`);
  const node = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', dir], { encoding: 'utf8', cwd: root });
  if (node.status !== 0) throw new Error(`node run failed: ${node.stderr}`);
  const n = JSON.parse(node.stdout);
  const py = spawnSync('/usr/bin/python3', [join(here, 'st-read-python.py'), dir], { encoding: 'utf8' });
  if (py.status !== 0) throw new Error(`python run failed: ${py.stderr}`);
  const p = JSON.parse(py.stdout.trim().split('\n').pop());
  if (p.first.nnz !== n.nnz) throw new Error(`non-zeros differ: python ${p.first.nnz}, FuseScope ${n.nnz}`);
  const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
  console.log(`FuseScope core (Node ${process.version}, h5wasm): module + wasm init ${s(n.initMs)}, load to StDataset ${s(n.firstMs)} (first), ${s(n.secondMs)} (second)`);
  console.log(`  memory after load: JS heap +${n.heapUsedMB} MB, array buffers +${n.arrayBuffersMB} MB (dataset typed arrays ${n.datasetMB} MB), external incl. wasm +${n.externalMB} MB; RSS ${n.rssBeforeMB} MB before the load, peak ${n.maxRssFirstMB} MB after the first load, ${n.maxRssMB} MB after both`);
  console.log(`Python (h5py ${'+'} scipy + anndata, read_10x_h5 steps + positions): ${s(p.first.total_s * 1000)} (first: h5py ${s(p.first.h5py_read_s * 1000)}, AnnData ${s(p.first.anndata_build_s * 1000)}, positions ${s(p.first.positions_s * 1000)}), ${s(p.second.total_s * 1000)} (second); imports ${s(p.import_s * 1000)}; peak RSS ${Math.round(p.max_rss_mb)} MB`);
  const jsHeap = n.heapUsedMB + n.arrayBuffersMB;
  console.log(`ratio FuseScope / Python (load, second run): ${(n.secondMs / 1000 / p.second.total_s).toFixed(2)}x; first run ${(n.firstMs / 1000 / p.first.total_s).toFixed(2)}x`);
  console.log(`target < 2 s: ${n.firstMs < 2000 ? 'met' : 'MISSED'} (${s(n.firstMs)}); target < 300 MB JS heap (heap + array buffers): ${jsHeap < 300 ? 'met' : 'MISSED'} (${jsHeap.toFixed(1)} MB)`);
} finally {
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
}
