/**
 * The CLI as a user (or a cohort script) runs it, for the CLI tests: `node bin/fusescope.mjs ...`
 * in the repository root, with the exit code, stdout and stderr.
 */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');
export const CLI_BIN = join(REPO_ROOT, 'bin', 'fusescope.mjs');
/** the shared real data next to the repository */
export const SHARED_DATA = resolve(REPO_ROOT, '../shared/data');

export async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await execFileP(process.execPath, [CLI_BIN, ...args], { cwd: REPO_ROOT, maxBuffer: 32 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}
