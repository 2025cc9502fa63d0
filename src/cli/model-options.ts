/**
 * Options and output shared by the model commands (predict, heatmap): the default model package,
 * number options, progress lines on stderr.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FuseModel } from '../core/model/model.ts';

/** models/default next to src/, found from this file's location (not the working directory). */
export function getDefaultModelDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../models/default');
}

export function parsePositive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got '${value}'`);
  return n;
}

/** --orientations: 1, 2, 4 or 8 views averaged by the histology head (default: the manifest's). */
export function parseOrientations(value: string | undefined): 1 | 2 | 4 | 8 | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (n === 1 || n === 2 || n === 4 || n === 8) return n;
  throw new Error(`--orientations must be 1, 2, 4 or 8 (views of each patch averaged by the histology head), got '${value}'`);
}

/** --smoothing on|off: the model's spotSmoothing of the spot columns (default on, as the manifest says). */
export function parseSmoothing(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'on' || value === 'off') return value === 'on';
  throw new Error(`--smoothing must be on (the model's spot smoothing of the gene and fused columns) or off (the heads' values), got '${value}'`);
}

/** The model as the user asked for it: without its spotSmoothing when --smoothing off. */
export function getModelWithSmoothing(model: FuseModel, smoothing: boolean | undefined): FuseModel {
  if (smoothing !== false || !model.manifest.spotSmoothing) return model;
  const { spotSmoothing: _, ...manifest } = model.manifest;
  return { ...model, manifest };
}

/** Progress on stderr, at most a few lines per second; a TTY gets one updating line. */
export function createProgressWriter(label: string): { update: (done: number, total: number, what: string) => void; end: () => void } {
  let last = 0;
  const tty = process.stderr.isTTY;
  let open = false;
  return {
    update(done, total, what) {
      const now = Date.now();
      if (done < total && now - last < (tty ? 200 : 2000)) return;
      last = now;
      const line = `${label}: ${what} ${done}/${total}`;
      if (tty) {
        process.stderr.write(`\r${line}\x1b[K`);
        open = true;
      } else process.stderr.write(`${line}\n`);
    },
    end() {
      if (open) process.stderr.write('\n');
      open = false;
    },
  };
}

