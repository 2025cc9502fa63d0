/**
 * `npx tsx bench/infer-profile.ts [model.onnx ...] [--batch N] [--threads N] [--iter N]`:
 * where the histology encoder's time goes, per op kind, in onnxruntime-node (CPU EP) and in
 * Chromium's onnxruntime-web (WASM, threads), same model, batch and real input, same command.
 * Prints ms per batch for each op kind in both runtimes and their ratio. Default model:
 * models/default/histology.onnx. bench/histology-candidates.py writes untrained candidates (plain 3x3
 * nets, cut MobileNetV2s) and a large-GEMM probe, the ceiling of the ratio for any architecture here (time
 * it with `bench/infer.ts --model`: the profiler slows node's runs, so these wall times are not the ratio).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { launchBrowser, REPO_ROOT, startAppServer } from '../e2e/harness.ts';
import { openEncoderPage, runNodeEncoder, runWebEncoder } from './encoder-bench.ts';
import { getDefaultManifest, getRealPatches } from './real-patches.ts';

const argv = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
const BATCH = opt('--batch', 32);
const THREADS = opt('--threads', 2);
const ITER = opt('--iter', 10);
const models = argv.filter((a, i) => a.endsWith('.onnx') && !argv[i - 1]?.startsWith('--'));
if (models.length === 0) models.push(resolve(REPO_ROOT, 'models/default/histology.onnx'));

const manifest = getDefaultManifest();
const app = await startAppServer();
const browser = await launchBrowser();
try {
  const page = await openEncoderPage(browser, app.url);
  for (const path of models) {
    const bytes = new Uint8Array(readFileSync(path));
    const P = manifest.histology.patchPx;
    const patches = await getRealPatches(manifest, BATCH, P);
    const node = await runNodeEncoder(bytes, P, BATCH, patches, ITER, { threads: THREADS, profile: true });
    const web = await runWebEncoder(page, {
      modelUrl: '',
      modelBase64: Buffer.from(bytes).toString('base64'),
      patchPx: P,
      batch: BATCH,
      iterations: ITER,
      backend: 'wasm',
      threads: THREADS,
      patchesBase64: Buffer.from(patches.buffer, patches.byteOffset, patches.byteLength).toString('base64'),
      profile: true,
    });
    console.log(`\n${path} batch ${BATCH}, ${THREADS} threads (profiled runs: node ${node.profile?.runs}, web ${web.profile?.runs})`);
    console.log(`  wall: node ${node.msPerBatch.toFixed(1)} ms/batch, web ${web.msPerBatch.toFixed(1)} ms/batch: ratio ${(node.msPerBatch / web.msPerBatch).toFixed(2)}x (isolated ${web.isolated})`);
    const kinds = new Set([...(node.profile?.byKind.keys() ?? []), ...(web.profile?.byKind.keys() ?? [])]);
    const rows = [...kinds].map((k) => ({ k, n: (node.profile?.byKind.get(k) ?? 0) / 1000, w: (web.profile?.byKind.get(k) ?? 0) / 1000 }));
    rows.sort((a, b) => b.w - a.w);
    const sumN = rows.reduce((s, r) => s + r.n, 0);
    const sumW = rows.reduce((s, r) => s + r.w, 0);
    console.log(`  ${'op kind'.padEnd(40)} ${'node ms'.padStart(8)} ${'web ms'.padStart(8)} ${'web share'.padStart(9)}`);
    for (const r of rows) console.log(`  ${r.k.padEnd(40)} ${r.n.toFixed(2).padStart(8)} ${r.w.toFixed(2).padStart(8)} ${`${((100 * r.w) / sumW).toFixed(0)}%`.padStart(9)}`);
    console.log(`  ${'sum of kernels'.padEnd(40)} ${sumN.toFixed(2).padStart(8)} ${sumW.toFixed(2).padStart(8)}`);
    if (argv.includes('--nodes')) {
      for (const [label, prof] of [['node', node.profile], ['web', web.profile]] as const) {
        console.log(`  slowest nodes, ${label}:`);
        const top = [...(prof?.byNode ?? [])].sort((a, b) => b[1] - a[1]).slice(0, 25);
        for (const [k, v] of top) console.log(`    ${(v / 1000).toFixed(2).padStart(7)} ms  ${k}`);
      }
    }
  }
} finally {
  await browser.close();
  await app.close();
}
