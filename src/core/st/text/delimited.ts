/**
 * Delimited text (CSV / TSV, gzipped or not) for the ST loaders: delimiter sniffing, quoted
 * fields, and a fast numeric row scanner for wide count tables (no per-cell strings).
 */
import { StError, type StFile } from '../types.ts';
import { getPlainBytes, getPlainHead } from './gzip.ts';

export type Delimiter = '\t' | ',' | ';';
const CANDIDATES: Delimiter[] = ['\t', ',', ';'];

export function getFileLabel(file: StFile): string {
  return file.path || file.name;
}

export function decodeText(bytes: Uint8Array): string {
  const text = new TextDecoder('utf-8').decode(bytes);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Lines of a text file (\n or \r\n), without trailing empty lines and `#` comment lines at the top. */
export function getTextLines(text: string): string[] {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) if (lines[i].endsWith('\r')) lines[i] = lines[i].slice(0, -1);
  while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
  let first = 0;
  while (first < lines.length && lines[first].startsWith('#')) first++;
  return first ? lines.slice(first) : lines;
}

/** Read a delimited text file (plain or gzip) into lines; empty files are an error. */
export async function loadTextLines(file: StFile): Promise<string[]> {
  const label = getFileLabel(file);
  if (file.size === 0) throw new StError(label, 'is empty.', 'Export the table again; the file has no content.');
  const lines = getTextLines(decodeText(getPlainBytes(await file.read(), label)));
  if (lines.length === 0) throw new StError(label, 'is empty.', 'Export the table again; the file has no content.');
  return lines;
}

function countFields(line: string, d: string): number {
  let n = 1;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (c === d && !quoted) n++;
  }
  return n;
}

/**
 * The delimiter (tab, comma or semicolon) that splits the first lines into the same number (> 1) of
 * fields; the header may have one field fewer (R's write.table). Throws a "wrong delimiter" StError.
 */
export function getDelimiter(lines: string[], label: string): Delimiter {
  const sample = lines.slice(0, 50).filter((l) => l.trim() !== '');
  let best: Delimiter | null = null;
  let bestFields = 1;
  for (const d of CANDIDATES) {
    const counts = sample.map((l) => countFields(l, d));
    const body = counts.length > 1 ? counts.slice(1) : counts;
    const n = body[0];
    if (n < 2 || !body.every((c) => c === n)) continue;
    if (counts[0] !== n && counts[0] !== n - 1) continue;
    if (n > bestFields) {
      best = d;
      bestFields = n;
    }
  }
  if (!best) {
    const first = sample[0] ?? '';
    const seen = [...new Set(first.replace(/[A-Za-z0-9_."\-\s]/g, ''))].slice(0, 3).join(' ');
    throw new StError(
      label,
      `could not be split into columns: no tab, comma or semicolon gives the same number of fields on every line${seen ? ` (other separators seen: ${seen})` : ''}.`,
      'Save the table as CSV (comma) or TSV (tab) with one row per line.',
    );
  }
  return best;
}

/** Split one line; handles double-quoted fields ("a,b" and "" escapes). */
export function splitFields(line: string, d: string): string[] {
  if (!line.includes('"')) return line.split(d);
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else quoted = false;
      } else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === d) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** One CSV field: quoted (with doubled quotes) when it holds a comma, a quote or a newline. */
export function getCsvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Lower-cased, trimmed header names (quotes removed). */
export function getHeaderKeys(fields: string[]): string[] {
  return fields.map((f) => f.trim().replace(/^"|"$/g, '').toLowerCase());
}

/** Index of the first header key matching one of the names (in priority order), or -1. */
export function findColumn(keys: string[], names: string[]): number {
  for (const n of names) {
    const i = keys.indexOf(n);
    if (i >= 0) return i;
  }
  return -1;
}

/**
 * Parse the numeric fields of `line` after field `skip` into `out` (length = number of values).
 * Returns -1 on success, else the index (in `out`) of the first non-numeric field.
 * Empty fields read as 0. Integers are parsed without creating strings.
 */
export function scanNumericRow(line: string, d: number, skip: number, out: Float64Array): number {
  let pos = 0;
  for (let s = 0; s < skip; s++) {
    const next = line.indexOf(String.fromCharCode(d), pos);
    if (next < 0) return 0;
    pos = next + 1;
  }
  const n = out.length;
  const len = line.length;
  for (let k = 0; k < n; k++) {
    if (pos > len) return k;
    let v = 0;
    let i = pos;
    let ok = true;
    let digits = 0;
    while (i < len) {
      const c = line.charCodeAt(i);
      if (c === d) break;
      if (c >= 48 && c <= 57 && ok) {
        v = v * 10 + (c - 48);
        digits++;
      } else ok = false;
      i++;
    }
    if (!ok) {
      let tok = line.slice(pos, i).trim();
      if (tok.startsWith('"') && tok.endsWith('"')) tok = tok.slice(1, -1);
      const x = tok === '' ? 0 : Number(tok);
      if (!Number.isFinite(x)) return k;
      v = x;
    } else if (digits === 0) v = 0;
    out[k] = v;
    pos = i + 1;
  }
  return -1;
}

/** The raw text of field `k` of a line (for error messages). */
export function getField(line: string, d: string, k: number): string {
  return splitFields(line, d)[k] ?? '';
}

/**
 * The first lines of a (possibly gzipped) text file: at most `maxBytes` of text (1 MB: a wide
 * header of 30,000 genes fits), reading at most 4 MB of the file; a cut last line is dropped.
 */
export async function loadTextHead(file: StFile, maxLines = 20, maxBytes = 1 << 20): Promise<string[]> {
  if (file.size === 0) return [];
  const raw = await file.readRange(0, Math.min(file.size, 4 * maxBytes));
  const plain = getPlainHead(raw, maxBytes);
  const lines = decodeText(plain).split('\n').map((l) => l.replace(/\r$/, ''));
  if (plain.length >= maxBytes || raw.length < file.size) lines.pop();
  return lines.slice(0, maxLines);
}
