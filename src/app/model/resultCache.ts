/**
 * Spot scores cached in IndexedDB, keyed by the slide, the ST inputs, the model's sha256s and the
 * um/px used, so reopening the same case costs nothing. Only scores are stored (no patient data
 * beyond what the page already shows), in this browser profile only.
 */
import type { SpotScoreArrays } from './modelStore';

const DB_NAME = 'fusescope-results';
const STORE = 'spot-scores';
const HEATMAP_STORE = 'heatmaps';

export interface ResultKey {
  slide: string;
  st: string;
  model: string;
  mpp: number | null;
}

function getKeyString(k: ResultKey): string {
  return `v1|${k.model}|${k.slide}|${k.st}|${k.mpp ?? ''}`;
}

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === 'undefined') {
      reject(new Error('IndexedDB is not available'));
      return;
    }
    const req = indexedDB.open(DB_NAME, 2);
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE);
      if (!req.result.objectStoreNames.contains(HEATMAP_STORE)) req.result.createObjectStore(HEATMAP_STORE);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB open failed'));
  });
}

export async function loadCachedScores(key: ResultKey): Promise<SpotScoreArrays | null> {
  const db = await openDb();
  try {
    return await new Promise<SpotScoreArrays | null>((resolve, reject) => {
      const req = db.transaction(STORE, 'readonly').objectStore(STORE).get(getKeyString(key));
      req.onsuccess = () => {
        const v = req.result as SpotScoreArrays | undefined;
        resolve(v && v.histology instanceof Float32Array ? v : null);
      };
      req.onerror = () => reject(req.error);
    });
  } finally {
    db.close();
  }
}

export async function saveCachedScores(key: ResultKey, scores: SpotScoreArrays): Promise<void> {
  const db = await openDb();
  try {
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction(STORE, 'readwrite');
      tx.objectStore(STORE).put({ histology: scores.histology.slice(), gene: scores.gene.slice(), fused: scores.fused.slice() }, getKeyString(key));
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

export interface CachedHeatmap {
  raster: { width: number; height: number; originX: number; originY: number; cellPx: number };
  values: Float32Array;
  cells: Int32Array;
  tissueAreaPx2: number;
  /** the slide does not look like brightfield H&E (absent in entries saved before this was checked) */
  stainProblem?: string | null;
}

/** A complete dense heatmap of a slide for a model at an um/px (`st` unused: '-'). */
export async function loadCachedHeatmap(key: ResultKey): Promise<CachedHeatmap | null> {
  const db = await openDb();
  try {
    return await new Promise<CachedHeatmap | null>((resolve, reject) => {
      const req = db.transaction(HEATMAP_STORE, 'readonly').objectStore(HEATMAP_STORE).get(getKeyString(key));
      req.onsuccess = () => {
        const v = req.result as CachedHeatmap | undefined;
        resolve(v && v.values instanceof Float32Array ? v : null);
      };
      req.onerror = () => reject(req.error);
    });
  } finally {
    db.close();
  }
}

export async function saveCachedHeatmap(key: ResultKey, h: CachedHeatmap): Promise<void> {
  const db = await openDb();
  try {
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction(HEATMAP_STORE, 'readwrite');
      tx.objectStore(HEATMAP_STORE).put({ raster: { ...h.raster }, values: h.values.slice(), cells: h.cells.slice(), tissueAreaPx2: h.tissueAreaPx2, stainProblem: h.stainProblem ?? null }, getKeyString(key));
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** Remove every cached result (the panel's "clear cache"). */
export async function clearCachedScores(): Promise<void> {
  const db = await openDb();
  try {
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction([STORE, HEATMAP_STORE], 'readwrite');
      tx.objectStore(STORE).clear();
      tx.objectStore(HEATMAP_STORE).clear();
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}
