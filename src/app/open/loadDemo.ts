import { expectSt, holdIdle } from '../model/engine';
import { type CaseInfo, useCaseStore } from '../stores/caseStore';
import { useSlideStore } from '../stores/slideStore';
import { loadSlide } from './openSlide';

/** Where the bundled demo case lives (public/demo/case.json, served with the app). */
export function getDemoCaseUrl(): string {
  return new URL(`${import.meta.env.BASE_URL}demo/case.json`, window.location.href).href;
}

/** Parse a case.json; URLs in it are relative to the case file. */
export function getCaseInfo(json: unknown, caseUrl: string): CaseInfo {
  if (typeof json !== 'object' || json === null) throw new Error('is not a JSON object.');
  const o = json as Record<string, unknown>;
  if (typeof o.slide !== 'string' || !o.slide) throw new Error('has no "slide" (the slide file name).');
  const st = Array.isArray(o.st) ? o.st.filter((s): s is string => typeof s === 'string') : [];
  const mpp = typeof o.mpp === 'number' && o.mpp > 0 ? o.mpp : null;
  return {
    name: typeof o.name === 'string' ? o.name : o.slide,
    slideUrl: new URL(o.slide, caseUrl).href,
    stUrls: st.map((s) => new URL(s, caseUrl).href),
    mpp,
    source: typeof o.source === 'string' ? o.source : '',
  };
}

export async function loadDemo(): Promise<boolean> {
  // whenIdle() asked while case.json is on its way waits for the demo's scores
  const hold = holdIdle();
  try {
    return await openDemo();
  } finally {
    hold();
  }
}

async function openDemo(): Promise<boolean> {
  const caseUrl = getDemoCaseUrl();
  let info: CaseInfo;
  try {
    const res = await fetch(caseUrl);
    if (!res.ok) throw new Error(`could not be read (HTTP ${res.status}). The demo files are missing from this build.`);
    info = getCaseInfo(await res.json(), caseUrl);
  } catch (err) {
    useSlideStore.getState().setError({ file: 'demo/case.json', message: err instanceof Error ? err.message : String(err) });
    return false;
  }
  // the spots first: no dense heatmap for the slide alone while the case's ST data follows (setCase
  // hands over to the case's own ST follow, which holds the heatmap until the spots are in)
  const release = info.stUrls.length ? expectSt() : null;
  try {
    const ok = await loadSlide(
      info.slideUrl,
      { label: info.slideUrl.split('/').pop() ?? info.name },
      { mppFallback: info.mpp ? { mpp: info.mpp, source: 'st-pitch' } : undefined, reflectInAddressBar: true },
    );
    if (ok) useCaseStore.getState().setCase(info);
    return ok;
  } finally {
    release?.();
  }
}
