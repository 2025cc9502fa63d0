/**
 * AnnData .h5ad (on-disk format 0.1.0 of anndata 0.7-0.10, and 0.7's h5sparse attributes): X dense,
 * CSR or CSC; raw/X or layers/counts when X is not raw counts; var names or a feature_name /
 * gene_ids column; obsm/spatial (full-resolution pixels, scanpy's convention) and
 * uns/spatial/<library>/{scalefactors, images}; obs columns become annotations.
 */
import type { Dataset, Group } from 'h5wasm';
import { getAssembledDataset } from '../assemble.ts';
import type { StClassifiedFile, StFileSet } from '../file-set.ts';
import type { StFormat, StProgress } from '../format.ts';
import { getGeneTable, isEnsemblId } from '../genes.ts';
import {
  getH5,
  getH5AttrNumbers,
  getH5AttrString,
  getH5Dataset,
  getH5Group,
  isH5Dataset,
  isH5Group,
  readH5Numeric,
  readH5Rows,
  throwIfAborted,
} from '../hdf5/read.ts';
import { getCanonicalCsr, getCsrFromCsc, getCsrFromDense, getStackedCsr } from '../matrix.ts';
import { type AnnotationColumn, type CsrMatrix, StError, type StFrameName, type StImageRef } from '../types.ts';
import { type AnnDataFrame, readAnnDataFrame } from './frame.ts';

interface MatrixSource {
  path: string;
  entity: Group | Dataset;
  shape: [number, number];
  kind: 'dense' | 'csr' | 'csc';
}

function getMatrixSource(root: Group, path: string, label: string): MatrixSource | null {
  const e = getH5(root, path);
  if (isH5Dataset(e)) {
    const s = e.shape ?? [];
    if (s.length !== 2) throw new StError(label, `${path} has shape [${s.join(', ')}], not a 2-D matrix.`, '');
    return { path, entity: e, shape: [s[0], s[1]], kind: 'dense' };
  }
  if (isH5Group(e)) {
    const enc = getH5AttrString(e, 'encoding-type') ?? '';
    const legacy = getH5AttrString(e, 'h5sparse_format') ?? '';
    const kind = enc.startsWith('csr') || legacy === 'csr' ? 'csr' : enc.startsWith('csc') || legacy === 'csc' ? 'csc' : null;
    if (!kind) throw new StError(label, `${path} is a group with encoding '${enc || legacy || 'none'}', not a sparse matrix.`, '');
    const shape = getH5AttrNumbers(e, 'shape') ?? getH5AttrNumbers(e, 'h5sparse_shape');
    if (shape?.length !== 2) throw new StError(label, `${path} has no shape attribute.`, 'The file does not follow the AnnData format.');
    return { path, entity: e, shape: [shape[0], shape[1]], kind };
  }
  return null;
}

/** True when the sampled stored values are all non-negative integers (raw counts). */
function looksLikeCounts(src: MatrixSource, label: string): boolean {
  let sample: ArrayLike<number>;
  if (src.kind === 'dense') {
    sample = readH5Rows(src.entity as Dataset, 0, Math.min(src.shape[0], 200), `${label} ${src.path}`);
  } else {
    const ds = getH5Dataset(src.entity as Group, 'data');
    if (!ds) return false;
    const n = (ds.shape ?? [0])[0];
    const v = ds.slice([[0, Math.min(n, 200_000)]]);
    sample = ArrayBuffer.isView(v) ? (v as unknown as ArrayLike<number>) : [];
    if (v instanceof BigInt64Array || v instanceof BigUint64Array) return true;
  }
  for (let i = 0; i < sample.length; i++) {
    const x = sample[i];
    if (x < 0 || x !== Math.round(x)) return false;
  }
  return true;
}

function readMatrix(src: MatrixSource, label: string, progress: StProgress): CsrMatrix {
  const [nObs, nVar] = src.shape;
  const report = (f: number) => progress.report(0.1 + 0.7 * f, `Reading ${src.path}`);
  if (src.kind === 'dense') {
    const ds = src.entity as Dataset;
    const rowsPerBlock = Math.max(1, Math.floor((1 << 22) / Math.max(1, nVar)));
    const blocks: CsrMatrix[] = [];
    for (let r = 0; r < nObs; r += rowsPerBlock) {
      throwIfAborted(progress.signal);
      const r1 = Math.min(nObs, r + rowsPerBlock);
      blocks.push(getCsrFromDense(r1 - r, nVar, readH5Rows(ds, r, r1, `${label} ${src.path}`)));
      report(r1 / nObs);
    }
    return getStackedCsr(blocks, nVar);
  }
  const g = src.entity as Group;
  const get = (name: string) => {
    const ds = getH5Dataset(g, name);
    if (!ds) throw new StError(label, `${src.path}/${name} is missing.`, 'The sparse matrix is incomplete.');
    return ds;
  };
  const rp = { signal: progress.signal };
  const indptrF = readH5Numeric(get('indptr'), Float64Array, `${label} ${src.path}/indptr`, rp);
  const nnz = indptrF[indptrF.length - 1] ?? 0;
  const indptr = nnz < 2 ** 31 ? Int32Array.from(indptrF) : indptrF;
  const data = readH5Numeric(get('data'), Float32Array, `${label} ${src.path}/data`, { ...rp, onChunk: (f) => report(f * 0.4) });
  const indices = readH5Numeric(get('indices'), Int32Array, `${label} ${src.path}/indices`, { ...rp, onChunk: (f) => report(0.4 + f * 0.6) });
  if (src.kind === 'csr') {
    if (indptr.length !== nObs + 1) throw new StError(label, `${src.path}/indptr has ${indptr.length} entries for ${nObs} observations.`, 'The file is inconsistent.');
    return getCanonicalCsr({ nRows: nObs, nCols: nVar, indptr, indices: indices.subarray(0, nnz), data: data.subarray(0, nnz) });
  }
  if (indptr.length !== nVar + 1) throw new StError(label, `${src.path}/indptr has ${indptr.length} entries for ${nVar} variables.`, 'The file is inconsistent.');
  return getCsrFromCsc(nObs, nVar, indptr, indices.subarray(0, nnz), data.subarray(0, nnz));
}

const SYMBOL_COLUMNS = ['feature_name', 'gene_symbols', 'gene_symbol', 'gene_name', 'gene_names', 'symbol', 'name'];
const ID_COLUMNS = ['gene_ids', 'gene_id', 'ensembl_id', 'ensembl', 'feature_id', 'id'];

function getGeneNames(v: AnnDataFrame): { symbols: string[]; ids: string[] } {
  const pick = (names: string[]) => names.map((n) => v.strings.get(n)).find((s) => !!s);
  const symbolCol = pick(SYMBOL_COLUMNS);
  const idCol = pick(ID_COLUMNS);
  const indexIsEnsembl = v.index.length > 0 && v.index.slice(0, 50).every(isEnsemblId);
  const symbols = symbolCol ?? (indexIsEnsembl && idCol ? idCol : v.index);
  const ids = idCol?.some(isEnsemblId) ? idCol : indexIsEnsembl ? v.index : v.index.map(() => '');
  return { symbols, ids };
}

function readScalar(g: Group, name: string): number | undefined {
  const ds = getH5Dataset(g, name);
  if (!ds) return undefined;
  const v = ds.value;
  const x = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : ArrayBuffer.isView(v) ? Number((v as unknown as ArrayLike<number>)[0]) : Number.NaN;
  return Number.isFinite(x) ? x : undefined;
}

function getCoordinates(root: Group, obs: AnnDataFrame, n: number, label: string): { x: Float64Array; y: Float64Array; source: string } {
  for (const key of ['spatial', 'X_spatial', 'spatial_coords']) {
    const ds = getH5Dataset(root, `obsm/${key}`);
    if (!ds) continue;
    const s = ds.shape ?? [];
    if (s.length !== 2 || s[0] !== n || s[1] < 2) throw new StError(label, `obsm/${key} has shape [${s.join(', ')}], expected [${n}, 2].`, '');
    const flat = readH5Numeric(ds, Float64Array, `${label} obsm/${key}`);
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = flat[i * s[1]];
      y[i] = flat[i * s[1] + 1];
    }
    return { x, y, source: `obsm/${key}` };
  }
  const pairs: [string, string][] = [
    ['pxl_col_in_fullres', 'pxl_row_in_fullres'],
    ['imagecol', 'imagerow'],
    ['x_pixel', 'y_pixel'],
    ['pixel_x', 'pixel_y'],
  ];
  for (const [cx, cy] of pairs) {
    const a = obs.columns.get(cx);
    const b = obs.columns.get(cy);
    if (a?.kind === 'numeric' && b?.kind === 'numeric') return { x: a.values, y: b.values, source: `obs/${cx}, obs/${cy}` };
  }
  throw new StError(
    label,
    'holds a count matrix but no spatial coordinates (no obsm/spatial, and no pixel columns in obs).',
    'Save the AnnData after reading the Visium folder (scanpy.read_visium / squidpy), or add obsm["spatial"] with each spot\'s full-resolution x, y.',
  );
}

async function loadAnnData(set: StFileSet, item: StClassifiedFile, opts: Parameters<StFormat['load']>[1], progress: StProgress) {
  const label = item.label;
  const root = await set.openHdf5(item);
  const files: { name: string; role: string }[] = [];
  const warnings: string[] = [];
  progress.report(0.05, `Reading ${label}`);
  const obsGroup = getH5Group(root, 'obs');
  if (!obsGroup) {
    throw new StError(label, getH5Dataset(root, 'obs') ? 'stores obs as a compound table (anndata < 0.7), which is not supported.' : 'has no obs group.', 'Re-save the file with anndata >= 0.7 (adata.write_h5ad).');
  }
  const obs = readAnnDataFrame(obsGroup, root);
  const encVersion = getH5AttrString(root, 'encoding-version');
  const x = getMatrixSource(root, 'X', label);
  if (!x) throw new StError(label, 'has no X matrix.', 'This does not look like an AnnData file.');
  let src = x;
  let varPath = 'var';
  if (!looksLikeCounts(x, label)) {
    const raw = getMatrixSource(root, 'raw/X', label);
    const layer = getMatrixSource(root, 'layers/counts', label);
    if (raw && looksLikeCounts(raw, label)) {
      src = raw;
      varPath = getH5Group(root, 'raw/var') ? 'raw/var' : 'var';
      warnings.push('X holds non-integer values (normalised or scaled); raw counts were read from raw/X.');
    } else if (layer && looksLikeCounts(layer, label)) {
      src = layer;
      warnings.push('X holds non-integer values (normalised or scaled); raw counts were read from layers/counts.');
    } else {
      warnings.push('X holds non-integer values and the file has no raw/X or layers/counts: gene values are not raw counts.');
    }
  }
  const nObs = src.shape[0];
  if (obs.index.length !== nObs) throw new StError(label, `has ${obs.index.length} obs names for ${nObs} matrix rows.`, 'The file is inconsistent.');
  const varGroup = getH5Group(root, varPath);
  if (!varGroup) throw new StError(label, `has no ${varPath} group.`, '');
  const v = readAnnDataFrame(varGroup, root);
  if (v.index.length !== src.shape[1]) throw new StError(label, `${varPath} lists ${v.index.length} genes but ${src.path} has ${src.shape[1]} columns.`, 'The file is inconsistent.');
  const coords = getCoordinates(root, obs, nObs, label);
  const matrix = readMatrix(src, label, progress);
  files.push({
    name: label,
    role: `AnnData${encVersion ? ` (encoding ${encVersion})` : ' (anndata < 0.8 layout)'}: counts ${src.path} (${src.kind}), genes ${varPath}, positions ${coords.source}`,
  });

  // spatial metadata
  let frameScales: Partial<Record<StFrameName, number>> = {};
  let spotDiameterFullres: number | undefined;
  const images: StImageRef[] = [];
  const spatial = getH5Group(root, 'uns/spatial');
  const libraries = spatial ? spatial.keys() : [];
  if (libraries.length) {
    const lib = libraries[0];
    if (libraries.length > 1) warnings.push(`uns/spatial has ${libraries.length} libraries (${libraries.join(', ')}); using ${lib}.`);
    const sf = getH5Group(root, `uns/spatial/${lib}/scalefactors`);
    if (sf) {
      const hires = readScalar(sf, 'tissue_hires_scalef');
      const lowres = readScalar(sf, 'tissue_lowres_scalef');
      frameScales = { ...(hires ? { hires } : {}), ...(lowres ? { lowres } : {}) };
      spotDiameterFullres = readScalar(sf, 'spot_diameter_fullres');
    } else warnings.push(`uns/spatial/${lib} has no scalefactors.`);
    for (const name of ['hires', 'lowres'] as const) {
      const ds = getH5Dataset(root, `uns/spatial/${lib}/images/${name}`);
      if (!ds) continue;
      const s = ds.shape ?? [];
      images.push({ name, scale: frameScales[name] ?? Number.NaN, width: s[1] ?? 0, height: s[0] ?? 0, file: '', embedded: ds.path });
    }
  } else {
    warnings.push('No uns/spatial scalefactors: positions stay in full-resolution pixels.');
  }

  const inTissueCol = obs.columns.get('in_tissue');
  const inTissue = inTissueCol?.kind === 'numeric' ? Uint8Array.from(inTissueCol.values, (t) => (t ? 1 : 0)) : new Uint8Array(nObs).fill(1);
  const annotations: Record<string, AnnotationColumn> = {};
  for (const [k, col] of obs.columns) if (k !== 'in_tissue') annotations[k] = col;
  const names = getGeneNames(v);
  const { genes, warnings: gw } = getGeneTable(names.symbols, names.ids);
  warnings.push(...gw);
  const looksVisium = libraries.length > 0 || obs.columns.has('array_row');
  return getAssembledDataset(
    {
      platform: 'anndata',
      geometryPlatform: looksVisium ? 'visium' : undefined,
      format: 'anndata',
      matrix,
      genes,
      ids: obs.index,
      x: coords.x,
      y: coords.y,
      inTissue,
      annotations,
      files,
      warnings,
      frameScales,
      frameSource: { file: `${label} uns/spatial/<library>/scalefactors`, kind: libraries.length ? 'scalefactors' : 'missing' },
      spotDiameterFullres,
      images,
    },
    opts,
  );
}

async function getAnnDataItems(set: StFileSet): Promise<StClassifiedFile[]> {
  const out: StClassifiedFile[] = [];
  for (const item of set.of('hdf5')) {
    if (/\.h5ad$/i.test(item.file.name) || (await set.getHdf5Content(item)) === 'anndata') out.push(item);
  }
  return out;
}

export const anndataFormat: StFormat = {
  id: 'anndata',
  async detect(set) {
    return (await getAnnDataItems(set)).length ? 9 : 0;
  },
  async load(set, opts, progress) {
    const items = await getAnnDataItems(set);
    const ds = await loadAnnData(set, items[0], opts, progress);
    if (items.length > 1) ds.warnings.push(`Other AnnData files ignored: ${items.slice(1).map((i) => i.label).join(', ')}.`);
    return ds;
  },
};
