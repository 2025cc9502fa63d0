/**
 * Shared pieces of the browser encoder benchmarks (bench/infer.ts, bench/infer-profile.ts):
 * onnxruntime-node timing and the browser page that times onnxruntime-web in a worker
 * (bench/infer-page.ts). The real input batch is in real-patches.ts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import type { Browser, Page } from 'playwright-core';
import type { EncoderBenchArgs } from './infer-page.ts';
import type { EncoderBenchResult } from './infer-bench.worker.ts';

export interface OpTimes {
  /** mean microseconds per run, by op kind (Conv split into conv3x3 / depthwise / pointwise) */
  byKind: Map<string, number>;
  /** mean microseconds per run, by node (kind and output shape in the key) */
  byNode: Map<string, number>;
  runs: number;
}

export interface NodeEncoderResult {
  msPerBatch: number;
  msMin: number;
  /** every timed run, in order */
  runMs: number[];
  firstProb: number;
  embedding: Float32Array;
  profile: OpTimes | null;
}

/** onnxruntime-node (CPU EP) on the same model and batch; optional per-node profile. */
export async function runNodeEncoder(
  model: Uint8Array,
  patchPx: number,
  batch: number,
  patches: Float32Array,
  iterations: number,
  options: { threads?: number; profile?: boolean; warmup?: number } = {},
): Promise<NodeEncoderResult> {
  const dir = options.profile ? mkdtempSync(join(tmpdir(), 'fusescope-prof-')) : null;
  const session = await ortNode.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: options.threads ?? 2,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    enableProfiling: Boolean(options.profile),
    profileFilePrefix: dir ? join(dir, 'node') : undefined,
  });
  const input = session.inputNames[0];
  const feeds = { [input]: new ortNode.Tensor('float32', patches, [batch, 3, patchPx, patchPx]) };
  let out = await session.run(feeds);
  for (let i = 1; i < (options.warmup ?? 3); i++) out = await session.run(feeds);
  const runMs: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    out = await session.run(feeds);
    runMs.push(performance.now() - t);
  }
  const msMin = Math.min(...runMs);
  const ms = (performance.now() - t0) / iterations;
  let profile: OpTimes | null = null;
  if (dir) {
    session.endProfiling();
    const file = readdirSync(dir).find((f) => f.endsWith('.json'));
    if (file) profile = getOpTimes(JSON.parse(readFileSync(join(dir, file), 'utf8')) as ProfileEvent[]);
    rmSync(dir, { recursive: true, force: true });
  }
  const result = { msPerBatch: ms, msMin, runMs, firstProb: (out.prob.data as Float32Array)[0], embedding: (out.embedding.data as Float32Array).slice(), profile };
  await session.release();
  return result;
}

export interface ProfileEvent {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string; input_type_shape?: Record<string, number[]>[]; output_type_shape?: Record<string, number[]>[] };
}

/** Classify a Conv by its weight shape [O, I/group, kh, kw]. */
function getConvKind(e: ProfileEvent): string {
  const w = e.args?.input_type_shape?.[1];
  const shape = w ? Object.values(w)[0] : undefined;
  if (shape?.length !== 4) return 'Conv';
  if (shape[2] === 1 && shape[3] === 1) return 'Conv 1x1 (pointwise)';
  if (shape[1] === 1) return `Conv ${shape[2]}x${shape[3]} depthwise`;
  return `Conv ${shape[2]}x${shape[3]} full`;
}

/** Sum ORT's per-node kernel times by op kind, per run (warm-up included in the count). */
export function getOpTimes(events: ProfileEvent[]): OpTimes {
  const byKind = new Map<string, number>();
  const byNode = new Map<string, number>();
  let runs = 0;
  for (const e of events) {
    if (e.cat === 'Session' && e.name === 'model_run') runs++;
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const op = e.args?.op_name ?? '?';
    const kind = op === 'Conv' || op === 'FusedConv' || op === 'NhwcFusedConv' ? `${getConvKind(e)}${op === 'Conv' ? '' : ` [${op}]`}` : op;
    byKind.set(kind, (byKind.get(kind) ?? 0) + e.dur);
    const out = e.args?.output_type_shape?.[0];
    const node = `${e.name.replace(/_kernel_time$/, '')} ${kind} -> [${out ? Object.values(out)[0].join(',') : '?'}]`;
    byNode.set(node, (byNode.get(node) ?? 0) + e.dur);
  }
  for (const m of [byKind, byNode]) for (const [k, v] of m) m.set(k, v / Math.max(1, runs));
  return { byKind, byNode, runs };
}

/** The page that times onnxruntime-web (bench/infer-page.html), loaded and ready. */
export async function openEncoderPage(browser: Browser, appUrl: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${appUrl}bench/infer-page.html`);
  await page.waitForFunction(() => 'runEncoderBench' in window, null, { timeout: 60_000 });
  return page;
}

export interface WebEncoderResult extends EncoderBenchResult {
  profile: OpTimes | null;
}

/** Run the encoder in the page's worker; with `profile`, ORT's per-node profile is read from the console. */
export async function runWebEncoder(page: Page, args: EncoderBenchArgs): Promise<WebEncoderResult> {
  const lines: string[] = [];
  const onConsole = (m: { text(): string }) => {
    const t = m.text();
    if (t.includes('"cat"')) lines.push(t);
  };
  if (args.profile) page.on('console', onConsole);
  try {
    const res = await page.evaluate(
      (a) => (window as unknown as { runEncoderBench(a: EncoderBenchArgs): Promise<EncoderBenchResult> }).runEncoderBench(a),
      args,
    );
    let profile: OpTimes | null = null;
    if (args.profile) {
      await page.waitForTimeout(500);
      const events: ProfileEvent[] = [];
      for (const block of lines) {
        for (const line of block.split('\n')) {
          const s = line.trim().replace(/,$/, '');
          if (!s.startsWith('{')) continue;
          try {
            events.push(JSON.parse(s) as ProfileEvent);
          } catch {
            // a partial line: ORT prints the profile line by line
          }
        }
      }
      profile = getOpTimes(events);
    }
    return { ...res, profile };
  } finally {
    if (args.profile) page.off('console', onConsole);
  }
}
