import type { MppSource } from '../../core/slide/types';
import { SlideError } from '../../core/slide/types';
import { loadSlideInWorkers } from '../../workers/slide-client';
import { useCaseStore } from '../stores/caseStore';
import { type OpenRequest, useSlideStore } from '../stores/slideStore';

let nextRequestId = 1;
/** aborts the open in progress (its worker stops) */
let opening: AbortController | null = null;

export interface OpenOptions {
  /** um/px to use when the slide itself has none (e.g. from a case.json). */
  mppFallback?: { mpp: number; source: MppSource };
  /** Keep ?slide=<url> in the address bar so a reload reopens it (default: true for URLs). */
  reflectInAddressBar?: boolean;
}

/**
 * Open a slide in a new handle; the open slide stays until the new one has opened, then the
 * old handle is closed. On failure the open slide is kept and the error is shown.
 */
export async function loadSlide(input: File | File[] | string, request: OpenRequest, options: OpenOptions = {}): Promise<boolean> {
  const store = useSlideStore.getState();
  const id = nextRequestId++;
  const startedAt = performance.now();
  store.setLoading({ label: request.label, startedAt, id });
  store.setError(null);
  opening?.abort();
  const ctrl = new AbortController();
  opening = ctrl;
  const onProgress = (stage: string, fraction: number) => {
    if (useSlideStore.getState().loading?.id === id) useSlideStore.getState().setLoading({ label: request.label, startedAt, id, progress: { stage, fraction } });
  };
  try {
    const handle = await loadSlideInWorkers(input, { signal: ctrl.signal, onProgress });
    if (useSlideStore.getState().loading?.id !== id) {
      // cancelled, or overtaken by a later open
      handle.close();
      return false;
    }
    const previous = useSlideStore.getState().swap(handle, request, options.mppFallback);
    previous?.close();
    useCaseStore.getState().setCase(null);
    if (options.reflectInAddressBar ?? request.url !== undefined) setAddressBarSlide(request.url ?? null);
    return true;
  } catch (err) {
    if (useSlideStore.getState().loading?.id !== id) return false;
    useSlideStore.getState().setLoading(null);
    useSlideStore.getState().setError(describeOpenError(err, request.label, request.url));
    return false;
  } finally {
    if (opening === ctrl) opening = null;
  }
}

/** Stop the slide being opened (its worker stops; a late result is closed). */
export function cancelLoad(): void {
  useSlideStore.getState().setLoading(null);
  opening?.abort();
  opening = null;
}

/** Which file and what is wrong, without repeating the file name the message starts with. */
export function describeOpenError(err: unknown, label: string, url?: string): { file: string; message: string } {
  if (err instanceof SlideError) return { file: label, message: `${err.problem}${err.hint ? ` ${err.hint}` : ''}` };
  const text = err instanceof Error ? err.message : String(err);
  // The slide client's messages start with "<file name or URL>: "
  for (const prefix of [url, label]) {
    if (prefix && text.startsWith(`${prefix}: `)) return { file: label, message: text.slice(prefix.length + 2) };
  }
  return { file: label, message: text };
}

function setAddressBarSlide(url: string | null): void {
  const u = new URL(window.location.href);
  if (url) u.searchParams.set('slide', url);
  else u.searchParams.delete('slide');
  window.history.replaceState(null, '', u);
}

/** Name to show for a URL: its last path segment, or the whole URL. */
export function getUrlLabel(url: string): string {
  try {
    const u = new URL(url, window.location.href);
    const last = decodeURIComponent(u.pathname.split('/').filter(Boolean).pop() ?? '');
    return last || u.href;
  } catch {
    return url;
  }
}

export function loadSlideFromUrl(url: string, options: OpenOptions = {}): Promise<boolean> {
  const trimmed = url.trim();
  let absolute: string;
  try {
    absolute = new URL(trimmed, window.location.href).href;
  } catch {
    useSlideStore.getState().setError({ file: trimmed, message: 'is not a valid URL. Give a full http(s):// address of a slide file.' });
    return Promise.resolve(false);
  }
  return loadSlide(absolute, { label: getUrlLabel(absolute), url: absolute }, options);
}

export function loadSlideFromFiles(files: File[]): Promise<boolean> {
  if (files.length === 0) return Promise.resolve(false);
  const label = files.length === 1 ? files[0].name : getFilesLabel(files);
  return loadSlide(files.length === 1 ? files[0] : files, { label }, { reflectInAddressBar: true });
}

function getFilesLabel(files: File[]): string {
  const top = files[0].name.includes('/') ? files[0].name.split('/')[0] : null;
  if (top && files.every((f) => f.name.startsWith(`${top}/`))) return `${top}/ (${files.length} files)`;
  return `${files[0].name} + ${files.length - 1} more`;
}
