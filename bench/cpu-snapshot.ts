/**
 * CPU seconds used by Chromium's processes, by process type and thread name, from /proc (Linux).
 * On a 2-core machine the time to a fused map is bounded by all the work the browser does (page,
 * workers, raster, compositing, GPU process), not only by the page's main thread: the difference
 * of two snapshots says where the cores went.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_S = 100;

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** utime + stime in seconds from a /proc stat line (the name in parentheses may hold spaces). */
function getStatSeconds(stat: string): number {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / TICKS_PER_S;
}

/** "renderer/DedicatedWorker" style key -> CPU seconds so far, summed over Chromium's threads. */
export function getChromiumCpu(): Map<string, number> {
  const out = new Map<string, number>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of pids) {
    const cmd = readText(`/proc/${pid}/cmdline`);
    if (!cmd?.includes('chrom')) continue;
    // (Chromium rewrites its child processes' argv into one space-separated string)
    if (!/^\S*chrom/.test(cmd)) continue;
    const type = /--type=([\w-]+)/.exec(cmd)?.[1] ?? 'browser';
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      const stat = readText(`/proc/${pid}/task/${tid}/stat`);
      if (!stat) continue;
      const name = (readText(`/proc/${pid}/task/${tid}/comm`) ?? '?').trim().replace(/\d+$/, '');
      const key = `${type}/${name}`;
      out.set(key, (out.get(key) ?? 0) + getStatSeconds(stat));
    }
  }
  return out;
}

/** after - before, largest first (threads that ended between the snapshots are not counted). */
export function getCpuDelta(before: Map<string, number>, after: Map<string, number>): [string, number][] {
  const d: [string, number][] = [];
  for (const [k, v] of after) {
    const x = v - (before.get(k) ?? 0);
    if (x > 0.005) d.push([k, x]);
  }
  return d.sort((a, b) => b[1] - a[1]);
}
