/**
 * `npm run bench:infer [-- --webgpu] [--rounds N]`: in-browser inference benchmarks, printed as ratios.
 * (1) Histology encoder patches/s: onnxruntime-web in Chromium (WASM SIMD, threads; cross-origin
 *     isolated Vite server) vs onnxruntime-node (2 threads) on the same model, batch and real input,
 *     same machine, same command. Node and browser runs alternate (rounds) so that load from other
 *     processes hits both alike; the ratio is of the medians of single runs (3 warm-up runs each,
 *     then 12 timed ones per round). Target >= 0.5x.
 * (2) A HER2ST section (B4 image + counts + spot file, opened through the app's embedding API):
 *     time to the first complete fused spot map with WASM, with a breakdown (opening the inputs, the
 *     ST data reaching the inference worker, slide reads for the patches, encoder, gene head, fusion
 *     head, the rest). Target <= 2 s on a 2-core machine.
 * With --webgpu the same harness also times the WebGPU path (headless Chromium here has only the
 * SwiftShader software adapter: its speed means nothing, it runs for correctness).
 * The B4 run also prints the page's main-thread busy time from load() to the complete map (CDP
 * Performance.getMetrics: TaskDuration, ScriptDuration); `--profile` adds a CPU profile of the page's
 * main thread, its self time grouped by script (OpenSeadragon, deck.gl, the app, ...).
 * `--batch N` (repeatable) times the encoder ratio at other batch sizes (default 32, the app's);
 * `--model PATH` (repeatable) times other encoder ONNX files (same input and outputs, e.g. the untrained
 * candidates of bench/histology-candidates.py) by the same protocol instead of the default package's.
 * `--no-b4` / `--no-encoder` skip a part. `--preview` times the production build (vite build + preview:
 * React's production build, bundled modules) instead of the dev server that `npm start` runs.
 * `--settle MS` (default 1000): before load(), the page is left to settle after its model loaded:
 * at least MS, then until its main thread was busy less than 20 ms in the last 500 ms (at most
 * 10 s). Right after start-up the page still warms up (h5wasm, the overlay's shaders, the
 * onnxruntime sessions) and a section dropped then shares the CPU with that; `--settle 0` times it so.
 * `--trace` records a Chrome trace of the B4 run and prints the main thread's GPU read-backs
 * (where the page is composited in software, every redrawn WebGL overlay frame is read back
 * synchronously on the main thread) and its longest tasks.
 * `--variant QUERY` (repeatable) runs B4 once per variant with extra app URL parameters (e.g.
 * `--variant drawer=webgl --variant drawer=canvas`), alternating for `--b4-rounds N` rounds, so that
 * variants are compared in one command under the same load.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { HER2ST_DIR, launchBrowser, openApp, REPO_ROOT, startAppServer, startFileServer } from '../e2e/harness.ts';
import type { SpotRunTimings } from '../src/workers/inference-protocol.ts';
import { getChromiumCpu, getCpuDelta } from './cpu-snapshot.ts';
import { openEncoderPage, runNodeEncoder, runWebEncoder } from './encoder-bench.ts';
import { getDefaultManifest, getRealPatches } from './real-patches.ts';

/** encoder batch sizes to compare (`--batch N`, repeatable; default 32, the app's) */
const BATCHES: number[] = [];
/** timed runs per runtime and round (after 3 untimed warm-up runs) */
const ITER = 12;
const argv = process.argv.slice(2);
const webgpu = argv.includes('--webgpu');
const ROUNDS = argv.includes('--rounds') ? Number(argv[argv.indexOf('--rounds') + 1]) : 4;
/** extra app URL parameters for the B4 run (e.g. threads=1) */
const APP_QUERY = argv.includes('--query') ? `&${argv[argv.indexOf('--query') + 1]}` : '';
const SKIP_ENCODER = argv.includes('--no-encoder');
const SKIP_B4 = argv.includes('--no-b4');
const PROFILE = argv.includes('--profile');
const TRACE = argv.includes('--trace');
const SETTLE_MS = argv.includes('--settle') ? Number(argv[argv.indexOf('--settle') + 1]) : 1000;
const IDLE = argv.includes('--idle');
const VARIANTS = argv.flatMap((a, i) => (argv[i - 1] === '--variant' ? [a] : []));
if (VARIANTS.length === 0) VARIANTS.push('');
for (let i = 0; i < argv.length - 1; i++) if (argv[i] === '--batch') BATCHES.push(Number(argv[i + 1]));
if (BATCHES.length === 0) BATCHES.push(32);
/** encoder ONNX files for the ratio (`--model PATH`, repeatable; default the default package's) */
const MODELS = argv.flatMap((a, i) => (argv[i - 1] === '--model' ? [a] : []));
const B4_ROUNDS = argv.includes('--b4-rounds') ? Number(argv[argv.indexOf('--b4-rounds') + 1]) : 1;

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const manifest = getDefaultManifest();
const P = manifest.histology.patchPx;
const app = await startAppServer({ mode: argv.includes('--preview') ? 'preview' : 'dev' });
const browser = await launchBrowser();
try {
  if (webgpu) await printAdapter();
  // (1) encoder throughput, node and browser alternating
  if (!SKIP_ENCODER) {
    for (const batch of BATCHES) {
      if (MODELS.length === 0) await runEncoderRatio(batch);
      for (const path of MODELS) await runEncoderRatio(batch, path);
    }
  }
  // (2) time to the first complete fused spot map on a HER2ST section
  if (!SKIP_B4) await runSectionBench();
} finally {
  await browser.close();
  await app.close();
}

/** The WebGPU adapter the browser gives the app's origin (a software one's timings mean nothing). */
async function printAdapter(): Promise<void> {
  const page = await (await browser.newContext()).newPage();
  try {
    await page.goto(app.url);
    const info = await page.evaluate(async () => {
      const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: Record<string, unknown>; isFallbackAdapter?: boolean } | null> } }).gpu;
      const a = gpu ? await gpu.requestAdapter() : null;
      if (!a) return gpu ? 'navigator.gpu gives no adapter' : 'no navigator.gpu';
      const i = a.info ?? {};
      return `${String(i.vendor ?? '?')} ${String(i.architecture ?? '')} ${String(i.device ?? '')} ${String(i.description ?? '')}${(a.isFallbackAdapter ?? i.isFallbackAdapter) ? ' (software fallback adapter)' : ''}`;
    });
    console.log(`WebGPU adapter in the page: ${info.replace(/\s+/g, ' ').trim()}`);
  } finally {
    await page.context().close();
  }
}

async function runEncoderRatio(BATCH: number, modelPath?: string): Promise<void> {
  const patches = await getRealPatches(manifest, BATCH);
  const modelBytes = new Uint8Array(readFileSync(modelPath ?? resolve(REPO_ROOT, 'models/default/histology.onnx')));
  const page = await openEncoderPage(browser, app.url);
  if (modelPath) console.log(`encoder model: ${modelPath}`);
  const webArgs = {
    modelUrl: modelPath ? '' : '/models/default/histology.onnx',
    modelBase64: modelPath ? Buffer.from(modelBytes).toString('base64') : undefined,
    patchPx: P,
    batch: BATCH,
    iterations: ITER,
    patchesBase64: Buffer.from(patches.buffer, patches.byteOffset, patches.byteLength).toString('base64'),
  };
  // every timed run (ms per batch), pooled over the rounds; medians of single runs are robust to
  // the odd run slowed by another process, where the mean of a round is not
  const nodeMs: number[] = [];
  const webMs: number[] = [];
  /** one WASM thread */
  const web1Ms: number[] = [];
  /** node on one thread: the same-threads comparison for the single-thread WASM run */
  const node1Ms: number[] = [];
  const roundRatios: number[] = [];
  let maxDiff = 0;
  let threads = 0;
  let isolated = false;
  for (let r = 0; r < ROUNDS; r++) {
    const node = await runNodeEncoder(modelBytes, P, BATCH, patches, ITER, { threads: 2 });
    const node1 = await runNodeEncoder(modelBytes, P, BATCH, patches, ITER, { threads: 1 });
    const web = await runWebEncoder(page, { ...webArgs, backend: 'wasm' });
    const web1 = await runWebEncoder(page, { ...webArgs, backend: 'wasm', threads: 1 });
    nodeMs.push(...node.runMs);
    webMs.push(...web.runMs);
    web1Ms.push(...web1.runMs);
    node1Ms.push(...node1.runMs);
    roundRatios.push(median(node.runMs) / median(web.runMs));
    threads = web.threads;
    isolated = web.isolated;
    for (let i = 0; i < web.embedding.length; i++) maxDiff = Math.max(maxDiff, Math.abs(web.embedding[i] - node.embedding[i]));
  }
  const pps = (ms: number) => (BATCH * 1000) / ms;
  const q = (v: number[], f: number) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(f * v.length))];
  const spread = (v: number[]) => `median ${median(v).toFixed(1)}, 10-90% ${q(v, 0.1).toFixed(1)}-${q(v, 0.9).toFixed(1)}`;
  console.log(`encoder: batch ${BATCH}, ${ROUNDS} alternating rounds of ${ITER} timed runs each (after 3 warm-up runs); ms per batch: node 2 threads ${spread(nodeMs)}; web WASM ${threads} threads ${spread(webMs)}; node 1 thread ${spread(node1Ms)}; web 1 thread ${spread(web1Ms)}`);
  console.log(`encoder: node ${pps(median(nodeMs)).toFixed(0)} patches/s (2 threads), web WASM ${pps(median(webMs)).toFixed(0)} patches/s (${threads} threads, isolated ${isolated}); embeddings agree within ${maxDiff.toExponential(1)}`);
  console.log(`RATIO encoder web-wasm / node = ${(median(nodeMs) / median(webMs)).toFixed(2)}x (medians of single runs; per round ${roundRatios.map((x) => x.toFixed(2)).join(' ')}; target >= 0.5x)`);
  // one thread each: the kernels alone, without the thread pools
  console.log(`RATIO encoder web-wasm 1 thread / node 1 thread = ${(median(node1Ms) / median(web1Ms)).toFixed(2)}x`);
  if (webgpu) {
    const gpu = await runWebEncoder(page, { ...webArgs, backend: 'webgpu' });
    console.log(`encoder: web WebGPU ${gpu.msPerBatch.toFixed(1)} ms/batch (${gpu.patchesPerSecond.toFixed(0)} patches/s); RATIO webgpu / node = ${(median(nodeMs) / gpu.msPerBatch).toFixed(2)}x`);
  }
  await page.context().close();
}

interface MainThread {
  /** CDP Performance metrics, seconds of main-thread time from load() to the complete map */
  taskS: number;
  scriptS: number;
  layoutS: number;
  styleS: number;
  /** self ms per script group (only with --profile) */
  groups: Map<string, number> | null;
  top: [string, number][] | null;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** A script URL (Vite dev paths) as a group name for the main-thread profile. */
function getScriptGroup(fn: string, url: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  if (/openseadragon/i.test(url)) return 'OpenSeadragon';
  if (/deck|luma|loaders/i.test(url)) return 'deck.gl / luma.gl';
  if (/react|zustand|scheduler/i.test(url)) return 'React';
  const m = url.match(/\/src\/(.*?)(\?|$)/);
  if (m) return `app ${m[1].split('/').slice(0, 2).join('/')}`;
  const d = url.match(/\/deps\/([^?]*)/);
  return d ? `dep ${d[1]}` : url.slice(-40);
}

/** Self time by script group; `fromMs`: only samples this many ms or more after the profile's start. */
function getProfileGroups(profile: { nodes: ProfileNode[]; samples?: number[]; timeDeltas?: number[] }, fromMs = 0, toMs = Number.POSITIVE_INFINITY): { groups: Map<string, number>; top: [string, number][] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // a sample's duration is the gap to the next sample
  let t = 0;
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i] ?? 0;
    if (t >= fromMs * 1000 && t < toMs * 1000) selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + (deltas[i + 1] ?? 0));
  }
  const groups = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n) continue;
    const g = getScriptGroup(n.callFrame.functionName, n.callFrame.url);
    groups.set(g, (groups.get(g) ?? 0) + us / 1000);
    const f = `${n.callFrame.functionName || '(anonymous)'} ${g}:${n.callFrame.lineNumber + 1}`;
    fns.set(f, (fns.get(f) ?? 0) + us / 1000);
  }
  return { groups, top: [...fns].sort((a, b) => b[1] - a[1]).slice(0, 12) };
}

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: { name?: string; data?: { functionName?: string } };
}

/** The page's main thread from load() to the complete map: GPU read-backs and the longest tasks. */
function printTrace(label: string, ev: TraceEvent[]): void {
  const main = ev.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const t0 = ev.find((e) => e.name === 'fusescope:slide-open')?.ts;
  if (!main || t0 === undefined) {
    console.log(`${label} trace: no main thread or marks recorded`);
    return;
  }
  const onMain = ev.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.ts >= t0);
  const at = (e: TraceEvent) => ((e.ts - t0) / 1e6).toFixed(2);
  const reads = onMain.filter((e) => e.name === 'GLES2::ReadPixels');
  const readMs = reads.reduce((n, e) => n + (e.dur ?? 0), 0) / 1000;
  console.log(`${label} trace: ${reads.length} GPU read-backs on the main thread, ${readMs.toFixed(0)} ms (s from the slide open / ms): ${reads.map((e) => `${at(e)}/${((e.dur ?? 0) / 1000).toFixed(0)}`).join(' ')}`);
  const tasks = onMain.filter((e) => e.name === 'ThreadControllerImpl::RunTask' && (e.dur ?? 0) > 30_000).sort((a, b) => (b.dur ?? 0) - (a.dur ?? 0));
  console.log(`${label} trace: main-thread tasks over 30 ms: ${tasks.length}, ${(tasks.reduce((n, e) => n + (e.dur ?? 0), 0) / 1000).toFixed(0)} ms; longest ${tasks.slice(0, 6).map((e) => `${at(e)}/${((e.dur ?? 0) / 1000).toFixed(0)}`).join(' ')}`);
}

/** Wait until the page settles after start-up (see --settle); returns how long that took. */
async function settle(getMetrics: () => Promise<Map<string, number>>): Promise<number> {
  if (SETTLE_MS <= 0) return 0;
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  let last = (await getMetrics()).get('TaskDuration') ?? 0;
  while (Date.now() - t0 < 10_000) {
    await new Promise((r) => setTimeout(r, 500));
    const now = (await getMetrics()).get('TaskDuration') ?? 0;
    if (now - last < 0.02) break;
    last = now;
  }
  return Date.now() - t0;
}

async function runSectionBench(): Promise<void> {
  const files = await startFileServer(
    { 'B4.jpg': resolve(HER2ST_DIR, 'images/B4.jpg'), 'B4.tsv.gz': resolve(HER2ST_DIR, 'counts/B4.tsv.gz'), 'B4_selection.tsv': resolve(HER2ST_DIR, 'spots/B4_selection.tsv') },
    { ranges: true },
  );
  const results = new Map<string, { totalS: number[]; taskS: number[]; scriptS: number[] }>();
  for (let round = 0; round < B4_ROUNDS; round++) {
    for (const backend of webgpu ? (['wasm', 'webgpu'] as const) : (['wasm'] as const)) {
      for (const variant of VARIANTS) {
        const r = await runSectionOnce(files, backend, variant);
        const key = `${backend}${variant ? ` ${variant}` : ''}`;
        const agg = results.get(key) ?? { totalS: [], taskS: [], scriptS: [] };
        agg.totalS.push(r.totalMs / 1000);
        agg.taskS.push(r.main.taskS);
        agg.scriptS.push(r.main.scriptS);
        results.set(key, agg);
      }
    }
  }
  if (B4_ROUNDS > 1 || VARIANTS.length > 1) {
    const list = (v: number[]) => v.map((x) => x.toFixed(2)).join(' ');
    for (const [key, a] of results) {
      console.log(`B4 summary [${key}]: fused map complete s [${list(a.totalS)}] median ${median(a.totalS).toFixed(2)}; main-thread busy s [${list(a.taskS)}] median ${median(a.taskS).toFixed(2)}; of it script s [${list(a.scriptS)}]`);
    }
  }
  await files.close();
}

async function runSectionOnce(files: Awaited<ReturnType<typeof startFileServer>>, backend: 'wasm' | 'webgpu', variant: string): Promise<{ totalMs: number; main: MainThread }> {
  const label = `B4${variant ? ` [${variant}]` : ''}`;
  const p = await openApp(browser, app, { query: `demo=0&backend=${backend}${APP_QUERY}${variant ? `&${variant}` : ''}` });
  await p.page.waitForFunction(() => Boolean(window.fusescope?.model?.getState().model), null, { timeout: 120_000 });
  const cdp = await p.context.newCDPSession(p.page);
  await cdp.send('Performance.enable');
  if (PROFILE) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
    await cdp.send('Profiler.start');
  }
  const tProfile = await p.page.evaluate(() => performance.now());
  const getMetrics = async () => new Map((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  // count the viewer's redraws (OSD fires update-viewport once per drawn frame) and tiles drawn
  await p.page.evaluate(() => {
    const v = window.fusescope!.viewer.getState().viewer;
    const w = window as unknown as { __redraws: number; __tiles: number };
    w.__redraws = 0;
    w.__tiles = 0;
    v?.addHandler('update-viewport', () => w.__redraws++);
    v?.addHandler('tile-loaded', () => w.__tiles++);
  });
  const traceEvents: TraceEvent[] = [];
  if (TRACE) {
    cdp.on('Tracing.dataCollected', (d) => traceEvents.push(...(d.value as unknown as TraceEvent[])));
    await cdp.send('Tracing.start', { categories: 'devtools.timeline,toplevel,blink.user_timing,gpu,cc', transferMode: 'ReportEvents' });
  }
  const settledMs = await settle(getMetrics);
  const m0 = await getMetrics();
  const cpu0 = getChromiumCpu();
  const tLoad = await p.page.evaluate(() => performance.now());
  const loaded = p.page.evaluate((u) => window.fusescope!.load(u), { slide: files.url('B4.jpg'), st: [files.url('B4.tsv.gz'), files.url('B4_selection.tsv')] });
  // the main thread's busy time split at the start of the spot run (what competes with the encoder)
  const mAtSpots = p.page
    .waitForFunction(() => performance.getEntriesByName('fusescope:spots-start').length > 0, null, { timeout: 600_000, polling: 20 })
    .then(() => getMetrics())
    .catch(() => null);
  await loaded;
  const tOpened = await p.page.evaluate(() => performance.now());
  // the metrics and CPU time cover load() to the complete fused map (the 'fused-done' mark; the
  // histology column's other orientations follow and are waited for after them)
  await p.page.waitForFunction(
    (t) => {
      const s = window.fusescope!.model.getState();
      return s.spotsMs !== null || s.runError !== null || performance.getEntriesByName('fusescope:fused-done').some((m) => m.startTime >= t);
    },
    tLoad,
    { timeout: 600_000, polling: 50 },
  );
  const m1 = await getMetrics();
  const cpu = getCpuDelta(cpu0, getChromiumCpu());
  if (TRACE) {
    const complete = new Promise((res) => cdp.once('Tracing.tracingComplete', res));
    await cdp.send('Tracing.end');
    await complete;
  }
  await p.page.waitForFunction(
    () => {
      const s = window.fusescope!.model.getState();
      return s.spotsMs !== null || s.runError !== null;
    },
    null,
    { timeout: 600_000, polling: 50 },
  );
  const mSpots = await mAtSpots;
  const profile = PROFILE ? ((await cdp.send('Profiler.stop')).profile as never) : null;
  const prof = profile ? getProfileGroups(profile) : null;
  const tSpots = await p.page.evaluate(() => performance.getEntriesByName('fusescope:spots-start').at(-1)?.startTime ?? 0);
  const profSpots = profile ? getProfileGroups(profile, tSpots - tProfile) : null;
  const tMeta = await p.page.evaluate(() => performance.getEntriesByName('fusescope:slide-meta').at(-1)?.startTime ?? 0);
  const profOpen = profile ? getProfileGroups(profile, tMeta - tProfile, tSpots - tProfile) : null;
  const d = (k: string) => (m1.get(k) ?? 0) - (m0.get(k) ?? 0);
  const main: MainThread = { taskS: d('TaskDuration'), scriptS: d('ScriptDuration'), layoutS: d('LayoutDuration'), styleS: d('RecalcStyleDuration'), groups: prof?.groups ?? null, top: prof?.top ?? null };
  const r = await p.page.evaluate(() => {
    const st = window.fusescope!.model.getState();
    const marks = performance.getEntriesByType('mark').filter((m) => m.name.startsWith('fusescope:')).map((m) => ({ name: m.name.slice(10), t: m.startTime }));
    const osd = window.fusescope!.viewer.getState().viewer as unknown as { drawer?: { getType?(): string } } | null;
    const drawer = osd?.drawer?.getType?.() ?? '?';
    const w = window as unknown as { __redraws: number; __tiles: number };
    return { redraws: w.__redraws, tiles: w.__tiles, spotsMs: st.spotsMs, n: st.spotsTotal, err: st.runError, backend: st.backend, timings: st.spotsTimings as SpotRunTimings | null, marks, drawer };
  });
  if (r.err) console.log(`${label} ${backend}: error ${r.err}`);
  const at = (name: string) => {
    const m = r.marks.filter((x) => x.name === name && x.t >= tLoad);
    return m.length ? m[m.length - 1].t - tLoad : Number.NaN;
  };
  // the fused map is complete when every spot has its first scores ('fused-done'); the histology
  // column is then averaged over the manifest's other orientations until 'spots-done'
  const fusedAt = at('fused-done');
  const total = Number.isFinite(fusedAt) ? fusedAt : at('spots-done');
  const t = r.timings;
  console.log(`${label} (${r.n} spots, ${r.backend}, viewer drawer ${r.drawer}; page settled ${(settledMs / 1000).toFixed(1)} s after its model loaded) from load(): inputs opened ${sec(tOpened - tLoad)}, ST in the worker ${sec(at('st-ready'))}, spot run started ${sec(at('spots-start'))}, fused map complete ${sec(total)}, every score in (histology over all views) ${sec(at('spots-done'))}`);
  console.log(
    `${label} main thread busy ${main.taskS.toFixed(2)} s of ${sec(total)} (script ${main.scriptS.toFixed(2)} s, layout ${main.layoutS.toFixed(2)} s, style ${main.styleS.toFixed(2)} s; during the spot run ${mSpots ? ((m1.get('TaskDuration') ?? 0) - (mSpots.get('TaskDuration') ?? 0)).toFixed(2) : '?'} s); viewer frames drawn ${r.redraws}, tiles loaded ${r.tiles}`,
  );
  const cpuTotal = cpu.reduce((n, [, v]) => n + v, 0);
  // (no /proc outside Linux: nothing to print)
  if (cpu.length) console.log(`${label} browser CPU ${cpuTotal.toFixed(2)} s over ${sec(total)} on ${availableParallelism()} cores, by process/thread: ${cpu.slice(0, 8).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`);
  if (IDLE) {
    // what the page costs afterwards while nobody touches it (the dense heatmap may still run)
    const i0 = await getMetrics();
    await new Promise((res) => setTimeout(res, 2000));
    const i1 = await getMetrics();
    console.log(`${label} main thread afterwards: ${((i1.get('TaskDuration') ?? 0) - (i0.get('TaskDuration') ?? 0)).toFixed(2)} s busy in 2 s`);
  }
  if (main.groups) {
    const g = [...main.groups].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]);
    console.log(`${label} main-thread profile, self ms by script: ${g.map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`);
    console.log(`${label} slowest functions (self ms): ${(main.top ?? []).filter(([k]) => !k.startsWith('(idle)')).map(([k, v]) => `${k} ${v.toFixed(0)}`).join('; ')}`);
    if (profOpen) {
      const gs = [...profOpen.groups].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]);
      console.log(`${label} main-thread profile from the slide metadata to the spot run, self ms by script: ${gs.map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`);
      console.log(`${label} slowest functions there (self ms): ${profOpen.top.filter(([k]) => !k.startsWith('(idle)')).map(([k, v]) => `${k} ${v.toFixed(0)}`).join('; ')}`);
    }
    if (profSpots) {
      const gs = [...profSpots.groups].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]);
      console.log(`${label} main-thread profile during the spot run, self ms by script: ${gs.map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`);
      console.log(`${label} slowest functions during the spot run (self ms): ${profSpots.top.filter(([k]) => !k.startsWith('(idle)')).map(([k, v]) => `${k} ${v.toFixed(0)}`).join('; ')}`);
    }
  }
  if (t) {
    console.log(
      `${label} breakdown of the spot run, histology over every view included (${sec(t.totalMs)} in the worker): slide reads for patches ${sec(t.readWaitMs)} (${t.regionReads} reads, ${(t.regionPixels / 1e6).toFixed(1)} Mpx), encoder ${sec(t.encoderMs)} (${t.encoderPatches} patches), gene head ${sec(t.geneMs)}, fusion ${sec(t.fusionMs)}, other (patch cutting, messages) ${sec(t.otherMs)}`,
    );
  }
  if (TRACE) printTrace(label, traceEvents);
  if (argv.includes('--marks')) console.log(`engine marks (s from load()): ${r.marks.filter((m) => m.t >= tLoad).map((m) => `${m.name} ${((m.t - tLoad) / 1000).toFixed(2)}`).join(', ')}`);
  console.log(`RATIO ${label} fused map (${r.backend}) / 2 s target = ${(total / 2000).toFixed(2)}x from load() (<= 1 meets it); spot run alone ${((total - at('spots-start')) / 2000).toFixed(2)}x`);
  await p.close();
  return { totalMs: total, main };
}
