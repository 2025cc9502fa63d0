/**
 * `npm run bench:infer [-- --webgpu] [--rounds N]`: in-browser inference benchmarks, printed as ratios.
 * (1) Histology encoder patches/s: onnxruntime-web in Chromium (WASM SIMD, threads; cross-origin
 *     isolated Vite server) vs onnxruntime-node (2 threads) on the same model, batch and real input,
 *     same machine, same command. Node and browser runs alternate (rounds) so that load from other
 *     processes hits both alike; the median and the best round are printed. Target >= 0.5x.
 * (2) A HER2ST section (B4 image + counts + spot file, opened through the app's embedding API):
 *     time to the first complete fused spot map with WASM, with a breakdown (opening the inputs, the
 *     ST data reaching the inference worker, slide reads for the patches, encoder, gene head, fusion
 *     head, the rest). Target <= 2 s on a 2-core machine.
 * With --webgpu the same harness also times the WebGPU path (headless Chromium here has only the
 * SwiftShader software adapter: its speed means nothing, it runs for correctness).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { HER2ST_DIR, launchBrowser, openApp, REPO_ROOT, startAppServer, startFileServer } from '../e2e/harness.ts';
import type { SpotRunTimings } from '../src/workers/inference-protocol.ts';
import { getDefaultManifest, getRealPatches, openEncoderPage, runNodeEncoder, runWebEncoder } from './encoder-bench.ts';

const BATCH = 32;
const ITER = 5;
const argv = process.argv.slice(2);
const webgpu = argv.includes('--webgpu');
const ROUNDS = argv.includes('--rounds') ? Number(argv[argv.indexOf('--rounds') + 1]) : 4;
/** extra app URL parameters for the B4 run (e.g. threads=1) */
const APP_QUERY = argv.includes('--query') ? `&${argv[argv.indexOf('--query') + 1]}` : '';
const SKIP_ENCODER = argv.includes('--no-encoder');

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const manifest = getDefaultManifest();
const P = manifest.histology.patchPx;
const app = await startAppServer();
const browser = await launchBrowser();
try {
  // (1) encoder throughput, node and browser alternating
  if (!SKIP_ENCODER) await runEncoderRatio();
  // (2) time to the first complete fused spot map on a HER2ST section
  await runSectionBench();
} finally {
  await browser.close();
  await app.close();
}

async function runEncoderRatio(): Promise<void> {
  const patches = await getRealPatches(manifest, BATCH);
  const modelBytes = new Uint8Array(readFileSync(resolve(REPO_ROOT, 'models/default/histology.onnx')));
  const page = await openEncoderPage(browser, app.url);
  const webArgs = {
    modelUrl: '/models/default/histology.onnx',
    patchPx: P,
    batch: BATCH,
    iterations: ITER,
    patchesBase64: Buffer.from(patches.buffer, patches.byteOffset, patches.byteLength).toString('base64'),
  };
  const nodeMs: number[] = [];
  const webMs: number[] = [];
  /** one WASM thread: what the app runs on a 2-core machine (it leaves a core to the page) */
  const web1Ms: number[] = [];
  let maxDiff = 0;
  let threads = 0;
  let isolated = false;
  for (let r = 0; r < ROUNDS; r++) {
    const node = await runNodeEncoder(modelBytes, P, BATCH, patches, ITER, { threads: 2 });
    const web = await runWebEncoder(page, { ...webArgs, backend: 'wasm' });
    const web1 = await runWebEncoder(page, { ...webArgs, backend: 'wasm', threads: 1 });
    nodeMs.push(node.msPerBatch);
    webMs.push(web.msPerBatch);
    web1Ms.push(web1.msPerBatch);
    threads = web.threads;
    isolated = web.isolated;
    for (let i = 0; i < web.embedding.length; i++) maxDiff = Math.max(maxDiff, Math.abs(web.embedding[i] - node.embedding[i]));
  }
  const pps = (ms: number) => (BATCH * 1000) / ms;
  const list = (v: number[]) => v.map((x) => x.toFixed(0)).join(' ');
  console.log(`encoder: batch ${BATCH}, ${ROUNDS} alternating rounds of ${ITER} runs; ms/batch per round: node [${list(nodeMs)}], web [${list(webMs)}], web 1 thread [${list(web1Ms)}]`);
  console.log(`encoder: node ${pps(median(nodeMs)).toFixed(0)} patches/s (2 threads), web WASM ${pps(median(webMs)).toFixed(0)} patches/s (${threads} threads, isolated ${isolated}); embeddings agree within ${maxDiff.toExponential(1)}`);
  const best = Math.max(...nodeMs.map((n, i) => n / webMs[i]));
  console.log(`RATIO encoder web-wasm / node = ${(median(nodeMs) / median(webMs)).toFixed(2)}x median, ${best.toFixed(2)}x best round (target >= 0.5x)`);
  console.log(`RATIO encoder web-wasm 1 thread / node 2 threads = ${(median(nodeMs) / median(web1Ms)).toFixed(2)}x median`);
  if (webgpu) {
    const gpu = await runWebEncoder(page, { ...webArgs, backend: 'webgpu' });
    console.log(`encoder: web WebGPU ${gpu.msPerBatch.toFixed(1)} ms/batch (${gpu.patchesPerSecond.toFixed(0)} patches/s); RATIO webgpu / node = ${(median(nodeMs) / gpu.msPerBatch).toFixed(2)}x`);
  }
  await page.context().close();
}

async function runSectionBench(): Promise<void> {
  const files = await startFileServer(
    { 'B4.jpg': resolve(HER2ST_DIR, 'images/B4.jpg'), 'B4.tsv.gz': resolve(HER2ST_DIR, 'counts/B4.tsv.gz'), 'B4_selection.tsv': resolve(HER2ST_DIR, 'spots/B4_selection.tsv') },
    { ranges: true },
  );
  for (const backend of webgpu ? (['wasm', 'webgpu'] as const) : (['wasm'] as const)) {
    const p = await openApp(browser, app, { query: `demo=0&backend=${backend}${APP_QUERY}` });
    await p.page.waitForFunction(() => Boolean(window.fusescope?.model?.getState().model), null, { timeout: 120_000 });
    const tLoad = await p.page.evaluate(() => performance.now());
    await p.page.evaluate((u) => window.fusescope!.load(u), { slide: files.url('B4.jpg'), st: [files.url('B4.tsv.gz'), files.url('B4_selection.tsv')] });
    const tOpened = await p.page.evaluate(() => performance.now());
    await p.page.waitForFunction(
      () => {
        const s = window.fusescope!.model.getState();
        return s.spotsMs !== null || s.runError !== null;
      },
      null,
      { timeout: 600_000, polling: 50 },
    );
    const r = await p.page.evaluate(() => {
      const st = window.fusescope!.model.getState();
      const marks = performance.getEntriesByType('mark').filter((m) => m.name.startsWith('fusescope:')).map((m) => ({ name: m.name.slice(10), t: m.startTime }));
      return { spotsMs: st.spotsMs, n: st.spotsTotal, err: st.runError, backend: st.backend, timings: st.spotsTimings as SpotRunTimings | null, marks };
    });
    if (r.err) console.log(`B4 ${backend}: error ${r.err}`);
    const at = (name: string) => {
      const m = r.marks.filter((x) => x.name === name && x.t >= tLoad);
      return m.length ? m[m.length - 1].t - tLoad : Number.NaN;
    };
    const total = at('spots-done');
    const t = r.timings;
    console.log(`B4 (${r.n} spots, ${r.backend}) from load(): inputs opened ${sec(tOpened - tLoad)}, ST in the worker ${sec(at('st-ready'))}, spot run started ${sec(at('spots-start'))}, fused map complete ${sec(total)}`);
    if (t) {
      console.log(
        `B4 breakdown of the spot run (${sec(t.totalMs)} in the worker): slide reads for patches ${sec(t.readWaitMs)} (${t.regionReads} reads, ${(t.regionPixels / 1e6).toFixed(1)} Mpx), encoder ${sec(t.encoderMs)} (${t.encoderPatches} patches), gene head ${sec(t.geneMs)}, fusion ${sec(t.fusionMs)}, other (patch cutting, messages) ${sec(t.otherMs)}`,
      );
    }
    if (argv.includes('--marks')) console.log(`engine marks (s from load()): ${r.marks.filter((m) => m.t >= tLoad).map((m) => `${m.name} ${((m.t - tLoad) / 1000).toFixed(2)}`).join(', ')}`);
    console.log(`RATIO B4 fused map (${r.backend}) / 2 s target = ${(total / 2000).toFixed(2)}x from load() (<= 1 meets it); spot run alone ${((r.spotsMs ?? Number.NaN) / 2000).toFixed(2)}x`);
    await p.close();
  }
  await files.close();
}
