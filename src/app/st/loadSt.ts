/**
 * The ST drop flow: route dropped files (slide and/or ST), parse ST files with progress and
 * cancel, show what was recognised (pending) and apply it on the user's word. Nothing already
 * loaded is lost: the slide stays, and the applied spots stay until a new set is applied.
 */
import { BLANK_SLIDE_SUFFIX, getBlankSlideDescriptor } from '../../core/slide/blank/blank-slide';
import { getStDatasetInFrame, getStDatasetWithSlideMpp } from '../../core/st/assemble';
import { getMppFromSpotPitch } from '../../core/st/pitch';
import { type BlankCanvasPlan, getBlankCanvasPlan, getSlideFit, getSpotBounds } from '../../core/st/slide-fit';
import { getStSummary } from '../../core/st/summary';
import type { StDataset, StFrameName } from '../../core/st/types';
import { loadSlideFromFiles } from '../open/openSlide';
import { useSlideStore } from '../stores/slideStore';
import { useViewerStore } from '../stores/viewerStore';
import { fitImageRect } from '../viewer/viewerZoom';
import { loadAnnotationFiles } from '../annotations/loadAnnotations';
import { getRoutedDrop } from './dropRouting';
import { loadStFromFiles } from './parseSt';
import { getDisplaySpots, getRegistrationAffine, getRegistrationKey, getSavedRegistration } from './registration';
import { type StBannerError, useStStore } from './stStore';

let nextId = 1;
let current: AbortController | null = null;

/** Everything a drop brings: a slide, ST files, or both (slide first, then the ST files onto it). */
export async function loadDroppedFiles(files: File[]): Promise<void> {
  const routed = await getRoutedDrop(files);
  if (routed.slide.length === 0 && routed.st.length === 0 && routed.annotations.length) {
    await loadAnnotationFiles(routed.annotations);
    return;
  }
  if (routed.slide.length === 0 && routed.st.length === 0) {
    // nothing recognisable by name or content: the slide loader explains what it is
    if (routed.unknown.length) await loadSlideFromFiles(routed.unknown);
    return;
  }
  const st = [...routed.st, ...routed.unknown];
  if (routed.slide.length) {
    const ok = await loadSlideFromFiles(routed.slide);
    if (!ok) return;
  }
  if (st.length) await loadStFiles(st);
  if (routed.annotations.length) await loadAnnotationFiles(routed.annotations);
}

export function getFilesLabel(files: File[]): string {
  if (files.length === 1) return files[0].name;
  const top = files[0].name.includes('/') ? files[0].name.split('/')[0] : null;
  if (top && files.every((f) => f.name.startsWith(`${top}/`))) return `${top}/ (${files.length} files)`;
  return `${files[0].name} + ${files.length - 1} more`;
}

/** A user-facing error from anything the ST parse throws (StError, or its copy from a worker). */
export function getStBannerError(err: unknown, label: string): StBannerError {
  if (typeof err === 'object' && err !== null && 'problem' in err && 'file' in err) {
    const e = err as { file: unknown; problem: unknown; hint?: unknown };
    return { file: String(e.file), problem: String(e.problem), hint: typeof e.hint === 'string' ? e.hint : '' };
  }
  const text = err instanceof Error ? err.message : String(err);
  return { file: label, problem: text, hint: 'Check that these are spatial-transcriptomics files (Space Ranger outs/, .h5ad, legacy ST counts + *_selection.tsv, CSV).' };
}

function isAbort(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: string }).name === 'AbortError';
}

/** A parse of a case's ST files started while its slide was still opening (see startEarlyStParse). */
export interface EarlyStParse {
  dataset: Promise<StDataset>;
  abort: () => void;
}

/**
 * Start parsing a case's ST files in the ST worker before its slide is open, in the full-resolution
 * frame and without the slide's um/px (only the spot diameter depends on it, and loadStFiles
 * fixes that up): on a 2-core machine the parse runs while the browser decodes the slide.
 */
export function startEarlyStParse(files: Promise<File[]>): EarlyStParse {
  const ac = new AbortController();
  const dataset = files.then((f) => loadStFromFiles(f, { targetFrame: 'fullres', slideMpp: null, signal: ac.signal }));
  // the benchmark's timeline (bench/infer.ts --marks)
  dataset.then(() => performance.mark('fusescope:st-parsed')).catch(() => {});
  dataset.catch(() => {}); // reported by loadStFiles, which awaits it
  return { dataset, abort: () => ac.abort(new DOMException('The operation was aborted.', 'AbortError')) };
}

/**
 * Parse ST files and show them as "recognised" (pending) for Apply / Cancel. `early`: the same
 * files' parse started before the slide was open (used when the spots go to the full-resolution frame).
 */
export async function loadStFiles(files: File[], early?: EarlyStParse, options: { hdBinUm?: number } = {}): Promise<boolean> {
  const store = useStStore.getState();
  current?.abort();
  const ac = new AbortController();
  current = ac;
  if (early) ac.signal.addEventListener('abort', early.abort, { once: true });
  const id = nextId++;
  const label = getFilesLabel(files);
  const stillCurrent = () => useStStore.getState().loading?.id === id && !ac.signal.aborted;
  store.setError(null);
  store.setPending(null);
  store.setLoading({ id, label, fraction: 0, message: 'Recognising files' });
  const notes: string[] = [];
  try {
    let slide = useSlideStore.getState().meta;
    let targetFrame: StFrameName = 'fullres';
    const hires = files.find((f) => /(^|\/)tissue_hires_image\.png$/i.test(f.name));
    if (!slide && hires) {
      useStStore.getState().setLoading({ id, label, fraction: 0, message: `Opening ${hires.name} as the slide` });
      const ok = await loadSlideFromFiles([hires]);
      if (!stillCurrent()) return false;
      if (!ok) {
        useStStore.getState().setLoading(null);
        return false;
      }
      slide = useSlideStore.getState().meta;
      targetFrame = 'hires';
      notes.push(`No slide was open: ${hires.name} is opened as the slide and the spots are placed in its (hires) frame.`);
    }
    const slideMpp = slide?.mpp && slide.mpp > 0 ? slide.mpp : null;
    if (early && targetFrame !== 'fullres') early.abort();
    const parse = () =>
      loadStFromFiles(files, {
        targetFrame,
        slideMpp,
        hdBinUm: options.hdBinUm,
        signal: ac.signal,
        onProgress: (fraction, message) => {
          if (stillCurrent()) useStStore.getState().setLoading({ id, label, fraction, message });
        },
      });
    let ds = early && targetFrame === 'fullres' && options.hdBinUm === undefined ? getStDatasetWithSlideMpp(await early.dataset, slideMpp) : await parse();
    if (!stillCurrent()) return false;
    if (slide && targetFrame === 'fullres' && ds.images?.length) {
      const s = slide;
      const match = ds.images.find((im) => Math.abs(im.width - s.width) <= 2 && Math.abs(im.height - s.height) <= 2);
      if (match) {
        ds = getStDatasetInFrame(ds, match.name);
        notes.push(`The open slide is ${s.width} x ${s.height} px, the size of ${match.file}: the spots are placed in the ${match.name} frame.`);
      }
    }
    notes.push(...getFitNotes(ds, slide));
    useStStore.getState().setLoading(null);
    if (ds.hdBins && ds.hdBins.binUm < HD_MODEL_MIN_UM) {
      notes.push(`The models were trained on spots of about 100 um (they read a 96 um field): on ${ds.hdBins.binUm} um bins their scores are less reliable, and every bin is scored.`);
    }
    useStStore.getState().setPending({ dataset: ds, summary: getStSummary(ds), fileNames: files.map((f) => f.name), notes, files });
    return true;
  } catch (err) {
    if (!stillCurrent() || isAbort(err)) return false;
    useStStore.getState().setLoading(null);
    useStStore.getState().setError(getStBannerError(err, label));
    return false;
  } finally {
    if (current === ac) current = null;
  }
}

function getFitNotes(ds: StDataset, slide: { width: number; height: number; name: string } | null): string[] {
  if (!slide) {
    return [
      'No slide is open: Apply places the spots on a blank canvas in their own pixel frame and computes the gene-only map. Open the section image later to add the histology and fused maps.',
    ];
  }
  const fit = getSlideFit(ds, slide.width, slide.height);
  if (fit.total === 0) return [];
  if (fit.inside === 0) {
    const b = getSpotBounds(ds);
    return [
      `All ${fit.total} spots fall outside ${slide.name} (${slide.width} x ${slide.height} px; spots span x ${b ? `${Math.round(b.minX)}-${Math.round(b.maxX)}` : '?'}, y ${b ? `${Math.round(b.minY)}-${Math.round(b.maxY)}` : '?'}). Check that they belong to this slide, or register them (scale / offset / landmarks) after applying.`,
    ];
  }
  if (fit.inside < fit.total) return [`${fit.total - fit.inside} of ${fit.total} spots fall outside the slide.`];
  return [];
}

/** below this bin side, the recognition card says the models' scores are less reliable */
const HD_MODEL_MIN_UM = 48;

/** Visium HD bin sides the card offers: the native size and its multiples up to 128 um */
export function getHdBinChoices(nativeUm: number): number[] {
  const out: number[] = [];
  for (const um of [8, 16, 24, 32, 48, 64, 96, 128]) if (um >= nativeUm && um % nativeUm === 0) out.push(um);
  return out;
}

/** Read the pending Visium HD files again, summed into squares of another side. */
export async function loadPendingWithHdBin(binUm: number): Promise<void> {
  const { pending } = useStStore.getState();
  if (!pending?.dataset.hdBins || pending.dataset.hdBins.binUm === binUm) return;
  await loadStFiles(pending.files, undefined, { hdBinUm: binUm });
}

export function cancelStLoad(): void {
  current?.abort();
  current = null;
  useStStore.getState().setLoading(null);
}

export function cancelPending(): void {
  useStStore.getState().setPending(null);
}

function getStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/**
 * Open a blank canvas as the slide for spots that came without an image (getBlankCanvasPlan);
 * its plan, or null (with the ST or slide error shown) when the spots cannot go on one.
 */
export async function loadBlankCanvas(ds: StDataset, fileNames: string[]): Promise<BlankCanvasPlan | null> {
  let plan: BlankCanvasPlan;
  try {
    plan = getBlankCanvasPlan(ds);
  } catch (err) {
    useStStore.getState().setError(getStBannerError(err, fileNames.join(', ')));
    return null;
  }
  const base = (fileNames[0] ?? 'spots').split('/').pop()?.replace(/\.(tsv|csv|txt|h5|h5ad|mtx)(\.gz)?$/i, '') || 'spots';
  const note = `spots of ${fileNames.join(', ')} opened without an image`;
  const file = new File([getBlankSlideDescriptor(plan.width, plan.height, plan.mpp, note)], `${base} (no image)${BLANK_SLIDE_SUFFIX}`);
  return (await loadSlideFromFiles([file])) ? plan : null;
}

/**
 * Apply the recognised dataset: it replaces the drawn spots; a saved registration is restored.
 * With no slide open (and none opening), the spots get a blank canvas first (loadBlankCanvas).
 */
export async function applyPending(): Promise<void> {
  const { pending } = useStStore.getState();
  if (!pending) return;
  const open = useSlideStore.getState();
  let canvas: BlankCanvasPlan | null = null;
  if (!open.meta && !open.loading) {
    canvas = await loadBlankCanvas(pending.dataset, pending.fileNames);
    // kept pending (and the error shown) when the canvas failed; dropped when another set replaced it
    if (!canvas || useStStore.getState().pending !== pending) return;
  }
  const slideName = useSlideStore.getState().meta?.name ?? '';
  const key = slideName ? getRegistrationKey(slideName, pending.fileNames) : null;
  const registration = getSavedRegistration(getStorage(), key);
  useStStore.getState().apply(pending.dataset, pending.fileNames, key, registration);
  calibrateSlideMpp();
  // the canvas starts at the frame's origin: show the spots, not the empty corner
  if (canvas) void fitImageRect(() => useViewerStore.getState().viewer, canvas.width, canvas.view);
}

/**
 * A slide without um/px gets it from the spot grid: the platform's centre-to-centre pitch
 * (Visium 100 um, legacy ST 200 um) over the measured pitch of the registered spots in pixels.
 */
export function calibrateSlideMpp(): number | null {
  const { dataset, registration } = useStStore.getState();
  const { meta } = useSlideStore.getState();
  if (!dataset || !meta || (meta.mpp != null && meta.mpp > 0)) return null;
  if (!(dataset.pitchUm > 0)) return null;
  const shown = getDisplaySpots(dataset, getRegistrationAffine(dataset, registration));
  const m = getMppFromSpotPitch({ x: shown.x, y: shown.y }, dataset.pitchUm);
  if (!(m.mpp > 0) || !Number.isFinite(m.mpp)) return null;
  useSlideStore.setState({ meta: { ...meta, mpp: m.mpp, mppSource: 'st-pitch' } });
  return m.mpp;
}

/** Save the current registration for this slide + ST files. */
export function saveRegistration(): void {
  const { registrationKey, registration } = useStStore.getState();
  const storage = getStorage();
  if (!registrationKey || !storage) return;
  try {
    storage.setItem(registrationKey, JSON.stringify({ fusescope: 'st-registration', version: 1, ...registration }));
  } catch {
    // storage full or disabled: the export button still works
  }
}
