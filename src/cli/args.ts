/**
 * Argument parsing shared by every command: node:util parseArgs with positionals, `--help`, and
 * errors that carry the command's usage line.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/** Parse `argv` against `options` (plus `-h/--help`); a malformed option throws with `usage`. */
export function getCommandArgs<const T extends Options>(argv: string[], options: T, usage: string, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, allowPositionals, allowNegative: false, options: { ...options, ...HELP } });
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)} (${usage})`);
  }
}

/** Print the usage when `--help` was given; the command then exits 0. */
export function isHelpAsked(values: { help?: unknown }, usage: string): boolean {
  if (values.help !== true) return false;
  process.stdout.write(`${usage}\n`);
  return true;
}
