/**
 * Open a case (slide + ST files + optional model package + um/px + overlay mode) from URLs or
 * Files: the embedding API's `load()`, the `?slide=&st=&st=&model=&mpp=&mode=` URL parameters,
 * the demo's ST files, and the "copy link" button's inverse.
 */
import { applyPending, type EarlyStParse, loadStFiles, startEarlyStParse } from '../st/loadSt';
import { useAnnotationStore } from '../annotations/annotationStore';
import { loadAnnotationFiles } from '../annotations/loadAnnotations';
import { useStStore } from '../st/stStore';
import { loadSlideFromFiles, loadSlideFromUrl } from '../open/openSlide';
import { useCaseStore } from '../stores/caseStore';
import { useSlideStore } from '../stores/slideStore';
import { expectSt, getDroppedModelSource, holdIdle, loadModel } from './engine';
import type { ModelSource } from '../../workers/inference-protocol';
import { type OverlayMode, useModelStore } from './modelStore';

export interface CaseInput {
  slide?: string | File | File[] | null;
  st?: (string | File)[] | string | File | null;
  /** a model package: its folder URL (with manifest.json inside) or its files */
  model?: string | File[] | null;
  /** um per level-0 px, overriding the slide file's */
  mpp?: number | null;
  mode?: OverlayMode | null;
  /** a pathologist's annotations (QuPath GeoJSON): URL or File, loaded once the slide is open */
  annotations?: string | File | null;
}

/** The package files named by a URL base: manifest.json first, then the files it lists. */
export async function loadModelSourceFromUrl(base: string): Promise<ModelSource> {
  const root = new URL(base.endsWith('/') ? base : `${base}/`, window.location.href);
  const manifestUrl = new URL('manifest.json', root).href;
  const res = await fetch(manifestUrl);
  if (!res.ok) throw new Error(`${manifestUrl}: HTTP ${res.status}; a model URL must be a folder holding manifest.json.`);
  const json = (await res.json()) as { files?: { path?: unknown }[] };
  const urls: Record<string, string> = { 'manifest.json': manifestUrl };
  for (const f of json.files ?? []) if (typeof f.path === 'string') urls[f.path] = new URL(f.path, root).href;
  return { kind: 'urls', name: root.href.replace(/\/$/, ''), urls };
}

async function getUrlFile(input: string | File, what = 'ST file'): Promise<File> {
  if (typeof input !== 'string') return input;
  const url = new URL(input, window.location.href);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url.href}: HTTP ${res.status}; check the ${what} URL.`);
  const name = decodeURIComponent(url.pathname.split('/').pop() || 'st');
  return new File([await res.blob()], name);
}

/** Read ST files (URLs or Files) through the ST overlay's loader and apply them to the open slide. */
export async function loadCaseSt(inputs: (string | File)[] | Promise<File[]>, early?: EarlyStParse): Promise<boolean> {
  const files = Array.isArray(inputs) ? await Promise.all(inputs.map((u) => getUrlFile(u))) : await inputs;
  const ok = await loadStFiles(files, early);
  if (!ok) return false;
  await applyPending();
  return useStStore.getState().dataset !== null;
}

export async function loadCase(input: CaseInput): Promise<void> {
  const stList = input.st == null ? [] : Array.isArray(input.st) ? input.st : [input.st];
  const hold = holdIdle();
  // the spots first: no dense heatmap for the slide alone while its ST data is still loading
  const release = stList.length ? expectSt() : null;
  try {
    await openCaseInputs(input, stList);
  } finally {
    release?.();
    hold();
  }
}

async function openCaseInputs(input: CaseInput, stList: (string | File)[]): Promise<void> {
  const jobs: Promise<unknown>[] = [];
  // the ST files download while the slide opens (they are read once it is open)
  const stFiles = stList.length ? Promise.all(stList.map((u) => getUrlFile(u))) : null;
  stFiles?.catch(() => {}); // reported when awaited below
  setCaseLinkParts({
    st: stList.filter((s): s is string => typeof s === 'string'),
    model: typeof input.model === 'string' ? input.model : null,
  });
  if (input.model) {
    const src = typeof input.model === 'string' ? await loadModelSourceFromUrl(input.model) : getDroppedModelSource(input.model);
    jobs.push(loadModel(src));
  }
  // with a slide, the ST files are also parsed while it opens (their spots go to its full-resolution frame)
  const early = stFiles && input.slide ? startEarlyStParse(stFiles) : undefined;
  if (input.slide) {
    const s = input.slide;
    const ok = typeof s === 'string' ? await loadSlideFromUrl(s, { mppFallback: input.mpp ? { mpp: input.mpp, source: 'user' } : undefined }) : await loadSlideFromFiles(Array.isArray(s) ? s : [s]);
    if (!ok) {
      early?.abort();
      throw new Error(useSlideStore.getState().error?.message ?? 'the slide could not be opened');
    }
  }
  if (input.mpp && input.mpp > 0) useSlideStore.getState().setUserMpp(input.mpp);
  if (stFiles) {
    const ok = await loadCaseSt(stFiles, early);
    if (!ok) {
      const e = useStStore.getState().error;
      throw new Error(e ? `${e.file}: ${e.problem} ${e.hint}` : 'the ST files could not be read');
    }
  }
  if (input.mode) useModelStore.getState().setMode(input.mode);
  if (input.annotations) {
    annotationsUrl = typeof input.annotations === 'string' ? input.annotations : null;
    const ok = await loadAnnotationFiles([await getUrlFile(input.annotations, 'annotations')]);
    if (!ok) throw new Error(useAnnotationStore.getState().error?.message ?? 'the annotations could not be read');
  }
  await Promise.all(jobs);
}

/** `?slide=<url>&st=<url>&st=<url>[&model=<url>][&mpp=<um/px>][&mode=fused|histology|gene][&annotations=<url>]`; false when there is no case in the URL. */
export function loadCaseFromUrlParams(search: string = window.location.search): boolean {
  const q = new URLSearchParams(search);
  const slide = q.get('slide');
  const st = q.getAll('st');
  if (!slide && st.length === 0) return false;
  const mpp = Number(q.get('mpp'));
  const mode = q.get('mode');
  void loadCase({
    slide,
    st,
    model: q.get('model'),
    mpp: Number.isFinite(mpp) && mpp > 0 ? mpp : null,
    mode: mode === 'fused' || mode === 'histology' || mode === 'gene' || mode === 'difference' ? mode : null,
    annotations: q.get('annotations'),
  }).catch((err) => useModelStore.getState().set({ runError: err instanceof Error ? err.message : String(err) }));
  return true;
}

/** The link that reopens the current case and view (only URL-opened data can be linked). */
export function getCaseLink(): string {
  const u = new URL(window.location.href);
  u.search = '';
  const slideUrl = useSlideStore.getState().source?.url ?? useCaseStore.getState().current?.slideUrl;
  if (slideUrl) u.searchParams.set('slide', slideUrl);
  for (const s of caseStUrls) u.searchParams.append('st', s);
  const meta = useSlideStore.getState().meta;
  if (meta?.mpp && meta.mppSource === 'user') u.searchParams.set('mpp', String(meta.mpp));
  if (modelUrl) u.searchParams.set('model', modelUrl);
  u.searchParams.set('mode', useModelStore.getState().mode);
  if (annotationsUrl && useAnnotationStore.getState().annotations) u.searchParams.set('annotations', annotationsUrl);
  return u.href;
}

let caseStUrls: string[] = [];
let annotationsUrl: string | null = null;
let modelUrl: string | null = null;

/** Remember what URL-opened inputs make up the case (for the link). */
export function setCaseLinkParts(parts: { st?: string[]; model?: string | null }): void {
  if (parts.st) caseStUrls = parts.st;
  if (parts.model !== undefined) modelUrl = parts.model;
}

/** The demo case (public/demo): once its slide is open, its ST files follow. */
export function startCaseStFollow(): void {
  let last: unknown = null;
  useCaseStore.subscribe((s) => {
    const c = s.current;
    if (c === last) return;
    last = c;
    if (c?.stUrls.length) {
      setCaseLinkParts({ st: c.stUrls });
      const release = expectSt();
      void loadCaseSt(c.stUrls)
        .catch((err) => useModelStore.getState().set({ stError: err instanceof Error ? err.message : String(err) }))
        .finally(release);
    }
  });
}
