/**
 * `npm run bench:webgpu-node [-- --rounds N] [--heatmap-rounds N] [--threads N] [--paths webgpu,wasm,node]
 *   [--batch N ...] [--no-section] [--no-heatmap]`
 * (`--paths` may name `backend@N` to score the section and heatmap in batches of N, e.g. webgpu@256;
 * `--batch` sets the encoder batch sizes, default 32, the app's)
 *
 * The WebGPU path without a browser: onnxruntime-web's WebGPU execution provider (the JS and WGSL
 * kernels the app's inference worker runs, from the same 'onnxruntime-web' bundle) on Dawn, the
 * WebGPU implementation inside Chromium, through its Node binding (npm `webgpu`). It times the
 * WebGPU path on a GPU machine without a browser in one 47 MB pack (bench/pack-webgpu-node.sh; the
 * browser harness needs Chromium too, in parts: bench/pack-chromium-gpu.sh), and adds what the
 * browser harness does not time: batch sizes and the dense heatmap. In the same process, on
 * the same inputs, it runs the WASM path ('onnxruntime-web/wasm', the app's WASM bundle) and
 * onnxruntime-node (the CLI), so every speed is printed as a ratio against those baselines:
 *  (1) histology encoder, one batch of 32 real patches: ms per batch (median of alternating rounds);
 *  (2) a HER2ST section (B4 image + counts + spot file, opened and scored by core exactly as the
 *      CLI's `predict` does): time to the complete fused spot map (every fused score in), and to
 *      the final scores (the histology column averaged over the manifest's orientations);
 *  (3) the dense histology heatmap over B4's tissue (the CLI's `heatmap`).
 * It also checks each path's scores against onnxruntime-node (max abs difference; the app's bar is
 * 1e-3) and prints the adapter (vendor, architecture, whether it is a software fallback).
 *
 * Where no GPU is present, Dawn finds none: `VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json`
 * gives it Chromium's SwiftShader (software Vulkan): correct, but its speed means nothing.
 * FUSESCOPE_ROOT (default: this file's repository) and FUSESCOPE_DATA (default ../shared/data; B4 from its her2st/)
 * locate the model package, the demo slide and the B4 files, so a bundled copy runs elsewhere.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createNodeCodec } from '../src/core/image/node/sharp-codec.ts';
import { getHeatmapSummary, loadHeatmapPlan, runHeatmap } from '../src/core/model/heatmap.ts';
import { loadModelPackage } from '../src/core/model/manifest.ts';
import { type FuseModel, loadFuseModel } from '../src/core/model/model.ts';
import { getMppResolution } from '../src/core/model/mpp.ts';
import { getDirPackageFiles } from '../src/core/model/package-files-node.ts';
import type { OnnxRuntime } from '../src/core/model/runtime.ts';
import { getNodeRuntime } from '../src/core/model/runtime-node.ts';
import { getWebRuntime, type OrtWebModule } from '../src/core/model/runtime-web.ts';
import { scoreSpots } from '../src/core/model/score-spots.ts';
import { openNodeSlideInput } from '../src/core/slide/bytes/node-file-source.ts';
import { loadSlide } from '../src/core/slide/load-slide.ts';
import { loadNodeStFiles } from '../src/core/st/files/node.ts';
import { loadStDataset } from '../src/core/st/load.ts';
import { BENCH_ROOT, getDefaultManifest, getRealPatches } from './real-patches.ts';

const argv = process.argv.slice(2);
const getArg = (name: string, fallback: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : fallback);
const ROUNDS = getArg('--rounds', 3);
const ENCODER_ITER = getArg('--iter', 10);
/** WASM and onnxruntime-node threads: the app's rule (src/app/model/engine.ts: min(4, cores - 1), at least 2) unless given */
const CORES = availableParallelism();
const THREADS = getArg('--threads', Math.min(CORES, 4, Math.max(2, CORES - 1)));
/** the dense heatmap is long on CPU (every tissue window in every orientation): its own round count */
const HEATMAP_ROUNDS = getArg('--heatmap-rounds', 1);
const HER2ST = resolve(process.env.FUSESCOPE_DATA ?? resolve(BENCH_ROOT, '../shared/data'), 'her2st');
const MODEL_DIR = resolve(BENCH_ROOT, 'models/default');
const BATCH = 32;

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const log = (s: string) => console.log(s);

type Backend = 'webgpu' | 'wasm' | 'node';
const BACKENDS_ALL: Backend[] = ['webgpu', 'wasm', 'node'];
/** one timed configuration of the section and heatmap runs */
interface Run {
  key: string;
  backend: Backend;
  /** spots or windows per batch (the app's 32 unless `backend@N`) */
  batch: number;
}
/** `--paths webgpu,wasm,node` (default all); `backend@N` scores the section and heatmap in batches of N (e.g. webgpu@256) */
const RUNS: Run[] = (argv.includes('--paths') ? argv[argv.indexOf('--paths') + 1].split(',') : BACKENDS_ALL).flatMap((key) => {
  const [name, n] = key.split('@');
  return BACKENDS_ALL.includes(name as Backend) ? [{ key, backend: name as Backend, batch: n ? Number(n) : BATCH }] : [];
});
/** the reference for the score differences: onnxruntime-node (the CLI) when it runs, else WASM */
const REF = RUNS.some((r) => r.key === 'node') ? 'node' : 'wasm';
if (!RUNS.some((r) => r.key === REF)) RUNS.push({ key: REF, backend: REF, batch: BATCH });
/** time ratios are printed against this run (the app's WASM path when it runs) */
const BASE = RUNS.some((r) => r.key === 'wasm') ? 'wasm' : REF;
const BACKENDS = BACKENDS_ALL.filter((b) => RUNS.some((r) => r.backend === b));
/** encoder batch sizes (`--batch N`, repeatable; default 32, the app's) */
const ENCODER_BATCHES = argv.flatMap((x, i) => (argv[i - 1] === '--batch' ? [Number(x)] : []));
if (ENCODER_BATCHES.length === 0) ENCODER_BATCHES.push(BATCH);
const adapterNote = BACKENDS.includes('webgpu') ? await installDawn() : 'not used (--paths)';
// onnxruntime-web's dist folder, found as Node resolves packages (a bundled copy brings its own node_modules)
const ortDist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
// WebGPU: the app's default bundle (JSEP build: WebGPU + WASM EPs). In Node it runs its WASM part
// on one thread (its worker start-up fetches a URL, which Node cannot): ops left to WASM run single-threaded.
// WASM: onnxruntime-web's Node build, the same plain SIMD-threaded binary as the app's
// 'onnxruntime-web/wasm' bundle, on worker_threads.
const gpuOrt = (await import(pathToFileURL(resolve(ortDist, 'ort.bundle.min.mjs')).href)) as OrtWebModule;
const wasmOrt = (await import(pathToFileURL(resolve(ortDist, 'ort.node.min.mjs')).href)) as OrtWebModule;
// Node's fetch() cannot read file: URLs: hand the bundle its wasm binary
gpuOrt.env.wasm.wasmBinary = readFileSync(resolve(ortDist, 'ort-wasm-simd-threaded.jsep.wasm'));
gpuOrt.env.wasm.numThreads = 1;
wasmOrt.env.wasm.numThreads = THREADS;
const getRuntime = (b: Backend): OnnxRuntime =>
  b === 'webgpu'
    ? getWebRuntime(gpuOrt, { executionProviders: ['webgpu', 'wasm'], name: 'onnxruntime-web webgpu (Dawn)' })
    : b === 'wasm'
      ? getWebRuntime(wasmOrt, { executionProviders: ['wasm'], name: `onnxruntime-web wasm (${THREADS} threads)` })
      : getNodeRuntime({ threads: THREADS });
log(`adapter: ${adapterNote}`);
log(`threads (WASM, onnxruntime-node): ${THREADS} of ${CORES} cores; rounds ${ROUNDS} (dense heatmap ${HEATMAP_ROUNDS})`);

const pkg = await loadModelPackage(getDirPackageFiles(MODEL_DIR));
const models = {} as Record<Backend, FuseModel>;
// CPU sessions first: a software adapter's shader threads would otherwise slow their creation
for (const b of [...BACKENDS].sort((x, y) => Number(x === 'webgpu') - Number(y === 'webgpu'))) {
  const t = performance.now();
  models[b] = await loadFuseModel(pkg, getRuntime(b));
  log(`model on ${models[b].runtimeName}: sessions created in ${(performance.now() - t).toFixed(0)} ms`);
}

try {
  for (const batch of ENCODER_BATCHES) await runEncoder(batch);
  if (!argv.includes('--no-section')) await runSection();
  if (!argv.includes('--no-heatmap') && HEATMAP_ROUNDS > 0) await runDenseHeatmap();
} finally {
  for (const b of BACKENDS) await models[b].release();
}
process.exit(0);

/** Dawn's navigator.gpu and WebGPU globals for onnxruntime-web; returns a description of the adapter. */
async function installDawn(): Promise<string> {
  const dawn = (await import('webgpu')) as unknown as { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
  Object.assign(globalThis, dawn.globals);
  // onnxruntime-web's threaded WASM memory is a SharedArrayBuffer, which Chromium's writeBuffer
  // takes and dawn.node's binding refuses: copy such uploads into a plain buffer (one memcpy)
  const queue = dawn.globals.GPUQueue as { prototype: GPUQueue };
  const writeBuffer = queue.prototype.writeBuffer;
  queue.prototype.writeBuffer = function (this: GPUQueue, buffer: GPUBuffer, offset: number, data: BufferSource | SharedArrayBuffer, dataOffset = 0, size?: number) {
    if (data instanceof SharedArrayBuffer) {
      const copy = new Uint8Array(data, dataOffset, size ?? data.byteLength - dataOffset).slice();
      return writeBuffer.call(this, buffer, offset, copy.buffer, 0, copy.byteLength);
    }
    if (ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer) {
      const bpe = (data as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
      const bytes = size !== undefined ? size * bpe : data.byteLength - dataOffset * bpe;
      const copy = new Uint8Array(data.buffer, data.byteOffset + dataOffset * bpe, bytes).slice();
      return writeBuffer.call(this, buffer, offset, copy.buffer, 0, copy.byteLength);
    }
    return writeBuffer.call(this, buffer, offset, data as BufferSource, dataOffset, size);
  } as GPUQueue['writeBuffer'];
  const gpu = dawn.create([]);
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu, hardwareConcurrency: availableParallelism() }, configurable: true });
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('Dawn found no WebGPU adapter (no Vulkan driver?). Without a GPU, set VK_ICD_FILENAMES to a software ICD such as /usr/lib/chromium/vk_swiftshader_icd.json.');
  const info = adapter.info;
  const fallback = (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? info.isFallbackAdapter;
  return `${info.vendor || '?'} ${info.architecture || ''} ${info.device || ''} ${info.description || ''}`.replace(/\s+/g, ' ').trim() + (fallback ? ' (software fallback adapter: speed means nothing)' : '');
}

async function runEncoder(batch: number): Promise<void> {
  const m = getDefaultManifest();
  const P = m.histology.patchPx;
  const patches = await getRealPatches(m, batch);
  // `--save-patches FILE`: the largest batch as raw float32 (N x 3 x P x P), for bench/encoder-ort-python.py
  if (argv.includes('--save-patches') && batch === Math.max(...ENCODER_BATCHES)) writeFileSync(argv[argv.indexOf('--save-patches') + 1], patches);
  const times = new Map<Backend, number[]>(BACKENDS.map((b) => [b, []]));
  const probs = new Map<Backend, Float32Array>();
  for (const b of BACKENDS) {
    const t = performance.now();
    probs.set(b, Float32Array.from((await models[b].runHistology(patches, batch)).prob));
    log(`encoder ${b}, batch ${batch}: first run (shader compile, weights upload) ${(performance.now() - t).toFixed(0)} ms`);
    for (let i = 0; i < 2; i++) await models[b].runHistology(patches, batch);
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const b of BACKENDS) {
      for (let i = 0; i < ENCODER_ITER; i++) {
        const t = performance.now();
        await models[b].runHistology(patches, batch);
        times.get(b)?.push(performance.now() - t);
      }
    }
  }
  const med = new Map(BACKENDS.map((b) => [b, median(times.get(b) ?? [])]));
  const ref = probs.get(REF as Backend) ?? new Float32Array(0);
  for (const b of BACKENDS) {
    const ms = med.get(b) ?? Number.NaN;
    const speed = (med.get(BASE as Backend) ?? Number.NaN) / ms;
    log(`encoder ${b}, batch ${batch}: ${ms.toFixed(2)} ms per batch (${P} px), ${((batch * 1000) / ms).toFixed(0)} patches/s, ${speed.toFixed(2)}x ${BASE}'s; max |prob - ${REF}| ${maxAbsDiff(probs.get(b) ?? ref, ref).toExponential(2)}`);
  }
}

async function openB4() {
  const slide = await loadSlide(await openNodeSlideInput(resolve(HER2ST, 'images/B4.jpg')), { codec: createNodeCodec() });
  const files = await loadNodeStFiles([resolve(HER2ST, 'counts/B4.tsv.gz'), resolve(HER2ST, 'spots/B4_selection.tsv')]);
  const st = await loadStDataset(files, { slideMpp: slide.meta.mpp ?? null });
  const mpp = getMppResolution({ slide: slide.meta, userMpp: null, st }).mpp;
  if (mpp === null) throw new Error('B4: no um/px from the slide or the spot pitch');
  return { slide, st, mpp };
}

function seconds(v: number[]): string {
  return `${(median(v) / 1000).toFixed(2)} s [${v.map((x) => (x / 1000).toFixed(2)).join(' ')}]`;
}

async function runSection(): Promise<void> {
  const fusedMs = new Map<string, number[]>(RUNS.map((r) => [r.key, []]));
  const finalMs = new Map<string, number[]>(RUNS.map((r) => [r.key, []]));
  const result = new Map<string, { histology: Float32Array; gene: Float32Array; fused: Float32Array }>();
  let spots = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const run of RUNS) {
      const t0 = performance.now();
      const { slide, st, mpp } = await openB4();
      let tFused = Number.NaN;
      const scores = await scoreSpots({
        model: models[run.backend],
        st,
        slide,
        mpp,
        batchSize: run.batch,
        onProgress: (q) => {
          if (q.stage === 'spots' && q.done === q.total) tFused = performance.now();
        },
      });
      const tEnd = performance.now();
      slide.close();
      // a run with only upright views has no 'views' stage: the fused map is complete at the end
      fusedMs.get(run.key)?.push((Number.isNaN(tFused) ? tEnd : tFused) - t0);
      finalMs.get(run.key)?.push(tEnd - t0);
      result.set(run.key, { histology: scores.histology, gene: scores.gene, fused: scores.fused });
      spots = scores.spots.length;
    }
  }
  log(`B4 (${spots} spots under tissue; open the image and ST files, then score):`);
  const ref = result.get(REF);
  const base = median(fusedMs.get(BASE) ?? []);
  for (const run of RUNS) {
    const mine = result.get(run.key);
    const d = ref && mine ? (['histology', 'gene', 'fused'] as const).map((k) => maxAbsDiff(mine[k], ref[k]).toExponential(2)) : [];
    const f = fusedMs.get(run.key) ?? [];
    log(`  ${run.key}: fused map complete ${seconds(f)} (${(median(f) / base).toFixed(2)} of ${BASE}'s time), final scores ${seconds(finalMs.get(run.key) ?? [])}; max |score - ${REF}| histology ${d[0]} gene ${d[1]} fused ${d[2]}`);
  }
}

async function runDenseHeatmap(): Promise<void> {
  const ms = new Map<string, number[]>(RUNS.map((r) => [r.key, []]));
  const values = new Map<string, Float32Array>();
  let windows = 0;
  let slideScores = '';
  for (let round = 0; round < HEATMAP_ROUNDS; round++) {
    for (const run of RUNS) {
      const { slide, mpp } = await openB4();
      const model = models[run.backend];
      const t0 = performance.now();
      const plan = await loadHeatmapPlan(slide, model.manifest, mpp);
      await runHeatmap(plan, model, slide, { batchSize: run.batch });
      ms.get(run.key)?.push(performance.now() - t0);
      slide.close();
      values.set(run.key, Float32Array.from(plan.raster.values));
      windows = plan.cells.length;
      if (round === 0) slideScores += ` ${run.key} ${getHeatmapSummary(plan, model.manifest).slideScore.toFixed(4)}`;
    }
  }
  log(`B4 dense heatmap (${windows} tissue windows, manifest orientations; slideScore${slideScores}):`);
  const ref = values.get(REF) ?? new Float32Array(0);
  const base = median(ms.get(BASE) ?? []);
  for (const run of RUNS) {
    const v = ms.get(run.key) ?? [];
    log(`  ${run.key}: ${seconds(v)} (${(median(v) / base).toFixed(2)} of ${BASE}'s time); max |prob - ${REF}| ${maxAbsDiff(values.get(run.key) ?? ref, ref).toExponential(2)}`);
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (Number.isFinite(d)) m = Math.max(m, d);
    else if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return Number.POSITIVE_INFINITY;
  }
  return m;
}
