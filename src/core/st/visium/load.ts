/**
 * 10x Visium (Space Ranger outs/): a count matrix (filtered_feature_bc_matrix.h5, or the MEX
 * folder) joined by barcode to spatial/tissue_positions(_list).csv, with scalefactors_json.json
 * and the hires / lowres PNGs. A spatial folder without a matrix loads as spots only.
 * Visium HD (binned_outputs/square_XXXum/, positions in tissue_positions.parquet): one bin size is
 * read and its bins are summed into `hdBinUm` squares (hd-bins.ts).
 */
import { getAssembledDataset } from '../assemble.ts';
import { loadJoinedAnnotations } from '../annotations.ts';
import type { StClassifiedFile, StFileSet } from '../file-set.ts';
import type { StFormat } from '../format.ts';
import { getGeneTable } from '../genes.ts';
import type { ReadProgress } from '../hdf5/read.ts';
import { getCsrRows } from '../matrix.ts';
import { type CsrMatrix, type LoadStOptions, StError, type StFormatId, type StPlatform } from '../types.ts';
import { readTenxH5 } from './h5.ts';
import { getHdBinGroups, getHdBinUmFromPath, getHdGridAngle, getSummedCsrRows, HD_DEFAULT_BIN_UM, type HdBinGroups } from './hd-bins.ts';
import { loadMexMatrix } from './mex.ts';
import { loadVisiumParquetPositions } from './parquet.ts';
import { getFrameScales, loadVisiumImages, loadVisiumPositions, loadVisiumScalefactors, type VisiumPositions, type VisiumScalefactors } from './spatial.ts';

interface MexGroup {
  dir: string;
  matrix: StClassifiedFile;
  barcodes: StClassifiedFile;
  features: StClassifiedFile;
}

function getMexGroups(set: StFileSet): MexGroup[] {
  const out: MexGroup[] = [];
  for (const m of set.of('mtx')) {
    const barcodes = set.of('barcodes').find((f) => f.dir === m.dir);
    const features = set.of('features').find((f) => f.dir === m.dir);
    if (barcodes && features) out.push({ dir: m.dir, matrix: m, barcodes, features });
  }
  return out;
}

/** filtered before raw, then shorter paths */
function rankMatrixName(label: string): number {
  return (/filtered/i.test(label) ? 0 : /raw/i.test(label) ? 2 : 1) * 1000 + label.length;
}

/** the 10x matrices among the HDF5 files (`keep`: only those files are opened to look) */
async function getTenxH5Items(set: StFileSet, keep: (label: string) => boolean = () => true): Promise<StClassifiedFile[]> {
  const out: StClassifiedFile[] = [];
  for (const item of set.of('hdf5')) {
    if (/\.h5ad$/i.test(item.file.name) || !keep(item.label)) continue;
    if ((await set.getHdf5Content(item)) === 'tenx') out.push(item);
  }
  return out.sort((a, b) => rankMatrixName(a.label) - rankMatrixName(b.label));
}

/** the square_XXXum folder of a file ('' when it is in none) */
function getSquareDir(label: string): string {
  const m = /(?:^|\/)(square_\d{3}um)(?:\/|$)/i.exec(label);
  return m ? m[1].toLowerCase() : '';
}

interface HdChoice {
  /** the square_XXXum folder read ('' for loose files) */
  dir: string;
  positions: StClassifiedFile;
  /** native bin side in um (from the folder name, else the scalefactors' bin_size_um, read later) */
  nativeUm: number | null;
  /** the other bin sizes that were dropped and are not read */
  others: string[];
}

/**
 * Which Visium HD bin size to read when several were dropped (binned_outputs/ holds square_002um,
 * square_008um and square_016um): the largest native size that divides the wanted size (fewest bins
 * to read, identical sums: Space Ranger's bins nest), else the largest one below it, else the
 * smallest. 2 um bins (about 11 million per slide) are refused: too many for a browser tab.
 */
function getHdChoice(set: StFileSet, opts: LoadStOptions): HdChoice {
  const items = set.of('positions-parquet');
  const want = opts.hdBinUm ?? HD_DEFAULT_BIN_UM;
  const sized = items.map((positions) => ({ positions, dir: getSquareDir(positions.label), nativeUm: getHdBinUmFromPath(positions.label) }));
  const known = sized.filter((c) => c.nativeUm !== null) as { positions: StClassifiedFile; dir: string; nativeUm: number }[];
  let pick = sized[0];
  if (known.length) {
    const divides = known.filter((c) => c.nativeUm <= want && want % c.nativeUm === 0).sort((a, b) => b.nativeUm - a.nativeUm);
    const below = known.filter((c) => c.nativeUm <= want).sort((a, b) => b.nativeUm - a.nativeUm);
    const smallest = [...known].sort((a, b) => a.nativeUm - b.nativeUm);
    pick = divides[0] ?? below[0] ?? smallest[0];
    if (pick.nativeUm !== null && pick.nativeUm < 8) {
      throw new StError(
        pick.positions.label,
        `holds Visium HD ${pick.nativeUm} um bins (about 11 million per slide), too many to read here.`,
        'Drop binned_outputs/square_008um or square_016um instead (FuseScope sums them into larger bins itself).',
      );
    }
  }
  return { dir: pick.dir, positions: pick.positions, nativeUm: pick.nativeUm, others: sized.filter((c) => c !== pick).map((c) => c.dir || c.positions.label) };
}

/**
 * The matrix's barcodes that have a position (`rows`: matrix rows, `posRows`: their positions), with
 * a warning for matrix barcodes without a position and for in-tissue positions without counts.
 */
function getBarcodeJoin(
  barcodes: string[],
  pos: VisiumPositions,
  posIndex: Map<string, number>,
  posLabel: string,
  matrixLabel: string,
  warnings: string[],
): { rows: Int32Array; posRows: Int32Array } {
  const keepRows: number[] = [];
  const keepPos: number[] = [];
  barcodes.forEach((b, r) => {
    const p = posIndex.get(b);
    if (p !== undefined) {
      keepRows.push(r);
      keepPos.push(p);
    }
  });
  if (keepRows.length === 0) {
    throw new StError(
      posLabel,
      `shares no barcode with ${matrixLabel} (${barcodes.length} barcodes in the matrix, e.g. ${barcodes[0] ?? '-'}; ${pos.ids.length} in the positions, e.g. ${pos.ids[0] ?? '-'}).`,
      'The matrix and the spatial folder come from different runs; use both from the same Space Ranger outs/ folder.',
    );
  }
  const missing = barcodes.length - keepRows.length;
  if (missing > 0) {
    const ex = barcodes.filter((b) => !posIndex.has(b)).slice(0, 3).join(', ');
    warnings.push(`Partial load: ${missing} of ${barcodes.length} matrix barcodes have no position in ${posLabel} and were left out (e.g. ${ex}); ${keepRows.length} spots were used.`);
  }
  const inMatrix = new Set(barcodes);
  const orphan = pos.ids.filter((id, i) => pos.inTissue[i] && !inMatrix.has(id)).length;
  if (orphan > 0) warnings.push(`${orphan} in-tissue spots of ${posLabel} have no counts in ${matrixLabel} and were not loaded.`);
  return { rows: Int32Array.from(keepRows), posRows: Int32Array.from(keepPos) };
}

export const visiumFormat: StFormat = {
  id: 'visium',
  async detect(set) {
    if (set.of('positions').length || set.of('positions-parquet').length) return 10;
    if (getMexGroups(set).length) return 8;
    if ((await getTenxH5Items(set)).length) return 8;
    return 0;
  },
  async load(set, opts, progress) {
    const warnings: string[] = [];
    // file roles in the order the panel lists them: matrix, positions, scalefactors, images, the rest
    const matrixFiles: { name: string; role: string }[] = [];
    const spatialFiles: { name: string; role: string }[] = [];
    const positionsItems = set.of('positions');
    const hd = !positionsItems.length && set.of('positions-parquet').length ? getHdChoice(set, opts) : null;
    /** Visium HD: only the files of the chosen square_XXXum folder */
    const inHdDir = (label: string) => !hd || getSquareDir(label) === hd.dir;
    // Visium HD: the other bin sizes' matrices (2 um: gigabytes) are not even opened
    const h5Items = await getTenxH5Items(set, inHdDir);
    const mexGroups = getMexGroups(set)
      .filter((g) => inHdDir(g.matrix.label))
      .sort((a, b) => rankMatrixName(a.dir) - rankMatrixName(b.dir));
    if (hd?.others.length) warnings.push(`Visium HD: read ${hd.dir || hd.positions.label}; other bin sizes not read: ${hd.others.join(', ')}.`);
    if (!positionsItems.length && !hd && (h5Items.length || mexGroups.length)) {
      throw new StError(
        h5Items[0]?.label ?? mexGroups[0].matrix.label,
        'has a count matrix but no spot positions (no spatial coordinates).',
        'Add the spatial/ folder of the same Space Ranger run (tissue_positions.csv or tissue_positions_list.csv, and scalefactors_json.json).',
      );
    }

    // 1. positions
    progress.report(0.02, 'Reading spot positions');
    let posItem: StClassifiedFile;
    let pos: VisiumPositions;
    if (hd) {
      posItem = hd.positions;
      pos = await loadVisiumParquetPositions(posItem.file, progress.signal);
      spatialFiles.push({ name: posItem.label, role: 'positions (Visium HD bins, Parquet; full-resolution pixels)' });
    } else {
      posItem = positionsItems.sort((a, b) => rankMatrixName(a.label) - rankMatrixName(b.label))[0];
      if (positionsItems.length > 1) warnings.push(`Several positions files; using ${posItem.label}.`);
      pos = await loadVisiumPositions(posItem.file);
      spatialFiles.push({ name: posItem.label, role: `positions (Space Ranger ${pos.layout === 'sr1' ? '1, no header' : '2+, header'}; full-resolution pixels)` });
    }

    // 2. scalefactors and images (Visium HD: those of the chosen bin folder)
    const sfItem = set.of('scalefactors').find((i) => inHdDir(i.label)) ?? set.of('scalefactors')[0];
    let sf: VisiumScalefactors | null = null;
    if (sfItem) {
      sf = await loadVisiumScalefactors(sfItem.file);
      spatialFiles.push({ name: sfItem.label, role: 'scalefactors' });
    } else {
      warnings.push(`No scalefactors_json.json: positions stay in full-resolution pixels and the spot diameter comes from ${hd ? 'the bin size and the spot grid' : 'the platform (55 um)'}.`);
    }
    const frameScales = getFrameScales(sf);
    const imageItems = [
      ...set.of('image-hires').filter((i) => inHdDir(i.label) || set.of('image-hires').length === 1).map((i) => ({ file: i.file, frame: 'hires' as const })),
      ...set.of('image-lowres').filter((i) => inHdDir(i.label) || set.of('image-lowres').length === 1).map((i) => ({ file: i.file, frame: 'lowres' as const })),
    ];
    const images = await loadVisiumImages(imageItems, frameScales);
    for (const im of images) spatialFiles.push({ name: im.file, role: `${im.name} image (${im.width} x ${im.height} px)` });

    // Visium HD: the bin size read and the squares its bins are summed into
    let hdSum: { nativeUm: number; factor: number; binUm: number } | null = null;
    if (hd) {
      const nativeUm = hd.nativeUm ?? sf?.bin_size_um;
      if (!nativeUm || !(nativeUm > 0)) {
        throw new StError(posItem.label, 'is a Visium HD positions file, but neither its folder (square_XXXum) nor scalefactors_json.json (bin_size_um) gives the bin size.', 'Drop the whole square_008um (or square_016um) folder of binned_outputs/.');
      }
      const want = opts.hdBinUm ?? HD_DEFAULT_BIN_UM;
      const factor = Math.max(1, Math.round(want / nativeUm));
      hdSum = { nativeUm, factor, binUm: factor * nativeUm };
      if (hdSum.binUm !== want) warnings.push(`Visium HD: ${want} um is not a multiple of the ${nativeUm} um bins; summed into ${hdSum.binUm} um bins.`);
    }
    /** positions of the matrix's barcodes (a warning for each kind of mismatch) */
    const posIndex = new Map(pos.ids.map((id, i) => [id, i]));
    const getJoin = (barcodes: string[], matrixLabel: string) => getBarcodeJoin(barcodes, pos, posIndex, posItem.label, matrixLabel, warnings);
    /** the bins' groups into summed squares, over the given positions */
    /** the positions of the given rows of the positions table */
    const getNativeBins = (rows: Int32Array) => ({
      x: Float64Array.from(rows, (p) => pos.x[p]),
      y: Float64Array.from(rows, (p) => pos.y[p]),
      inTissue: Uint8Array.from(rows, (p) => pos.inTissue[p]),
      arrayRow: Int32Array.from(rows, (p) => pos.arrayRow[p]),
      arrayCol: Int32Array.from(rows, (p) => pos.arrayCol[p]),
    });
    const getGroups = (posRows: Int32Array) => {
      if (!hdSum) throw new Error('not a Visium HD run');
      return getHdBinGroups(getNativeBins(posRows), hdSum.factor, hdSum.binUm);
    };

    // 3. the count matrix (a Visium HD 10x h5 is summed into squares while it is read)
    let matrix: CsrMatrix | null = null;
    let posRows: Int32Array | null = null;
    let groups: HdBinGroups | null = null;
    let symbols: string[] = [];
    let geneIds: string[] = [];
    let format: StFormatId = 'visium-spots';
    const rp: ReadProgress = { signal: progress.signal, onChunk: (f) => progress.report(0.1 + 0.75 * f, 'Reading the count matrix') };
    if (h5Items.length) {
      const item = h5Items[0];
      progress.report(0.1, `Reading ${item.label}`);
      const summing = hdSum && hdSum.factor > 1;
      const m = readTenxH5(
        await set.openHdf5(item),
        item.label,
        rp,
        summing
          ? (barcodes) => {
              const join = getJoin(barcodes, item.label);
              posRows = join.posRows;
              groups = getGroups(join.posRows);
              const rowOf = new Int32Array(barcodes.length).fill(-1);
              join.rows.forEach((r, k) => {
                rowOf[r] = (groups as HdBinGroups).rowOf[k];
              });
              return { rowOf, nRows: groups.ids.length };
            }
          : undefined,
      );
      ({ matrix, symbols } = m);
      if (!summing) {
        const join = getJoin(m.barcodes, item.label);
        posRows = join.posRows;
        matrix = getCsrRows(m.matrix, join.rows);
      }
      geneIds = m.ids;
      format = 'visium-h5';
      matrixFiles.push({ name: item.label, role: `count matrix (10x HDF5 ${m.layout}${m.softwareVersion ? `, ${m.softwareVersion}` : ''})` });
      for (const [t, n] of Object.entries(m.droppedFeatures)) warnings.push(`${n} '${t}' features left out (only Gene Expression is kept).`);
      const others = [...h5Items.slice(1).map((i) => i.label), ...mexGroups.map((g) => g.dir || g.matrix.label)];
      if (others.length) warnings.push(`Other matrices ignored: ${others.join(', ')}.`);
    } else if (mexGroups.length) {
      const g = mexGroups[0];
      progress.report(0.1, `Reading ${g.matrix.label}`);
      const m = await loadMexMatrix({ matrix: g.matrix.file, barcodes: g.barcodes.file, features: g.features.file }, { signal: progress.signal });
      symbols = m.symbols;
      geneIds = m.ids;
      const join = getJoin(m.barcodes, g.matrix.label);
      posRows = join.posRows;
      matrix = getCsrRows(m.matrix, join.rows);
      format = 'visium-mex';
      matrixFiles.push({ name: g.matrix.label, role: 'count matrix (MEX)' }, { name: g.barcodes.label, role: 'barcodes' }, { name: g.features.label, role: 'features' });
      for (const [t, n] of Object.entries(m.droppedFeatures)) warnings.push(`${n} '${t}' features left out (only Gene Expression is kept).`);
      if (mexGroups.length > 1) warnings.push(`Other matrices ignored: ${mexGroups.slice(1).map((x) => x.dir).join(', ')}.`);
    }
    progress.report(0.88, 'Placing spots');
    const files = [...matrixFiles, ...spatialFiles];

    // 4. the spots: the matrix's barcodes at their positions, or every position without a matrix
    if (!matrix || !posRows) {
      posRows = Int32Array.from(pos.ids, (_, i) => i);
      matrix = { nRows: pos.ids.length, nCols: 0, indptr: new Int32Array(pos.ids.length + 1), indices: new Int32Array(0), data: new Float32Array(0) };
      warnings.push('No count matrix among the files (filtered_feature_bc_matrix.h5 or its MEX folder): spots only, no gene values.');
    }
    const rows: Int32Array = posRows;
    let platform: StPlatform = 'visium';
    let geometry: { pitchUm: number; diameterUm: number } | undefined;
    let spotDiameterFullres = sf?.spot_diameter_fullres;
    let spots: Pick<HdBinGroups, 'ids' | 'x' | 'y' | 'inTissue' | 'annotations'>;
    let angleDeg = 0;
    if (hdSum && hdSum.factor > 1) {
      // 5. Visium HD: the bins summed into squares (read summed from an h5; summed here otherwise)
      const { nativeUm, factor, binUm } = hdSum;
      const g: HdBinGroups = groups ?? getGroups(rows);
      if (!groups) matrix = getSummedCsrRows(matrix, g.rowOf, g.ids.length);
      spots = g;
      angleDeg = g.angleDeg;
      files.push({ name: `${binUm} um bins`, role: `${rows.length} bins of ${nativeUm} um summed into ${g.ids.length} bins of ${binUm} um (${factor} x ${factor})` });
    } else {
      const b = getNativeBins(rows);
      spots = {
        ids: Array.from(rows, (p) => pos.ids[p]),
        x: b.x,
        y: b.y,
        inTissue: b.inTissue,
        annotations: { array_row: { kind: 'numeric', values: Float64Array.from(b.arrayRow) }, array_col: { kind: 'numeric', values: Float64Array.from(b.arrayCol) } },
      };
      if (hdSum) angleDeg = getHdGridAngle(b);
    }
    if (hdSum) {
      platform = 'visium-hd';
      // Space Ranger's spot_diameter_fullres of a binned output is the bin side in full-resolution pixels
      const nativePx = sf?.spot_diameter_fullres ?? (sf?.microns_per_pixel ? hdSum.nativeUm / sf.microns_per_pixel : undefined);
      spotDiameterFullres = nativePx ? nativePx * hdSum.factor : undefined;
      geometry = { pitchUm: hdSum.binUm, diameterUm: hdSum.binUm };
    }
    const { ids, x, y, inTissue, annotations } = spots;
    const tables = set.of('table');
    if (tables.length) await loadJoinedAnnotations(tables, ids, { annotations, files, warnings }, opts.includeOffTissue ? undefined : inTissue);
    const { genes, warnings: gw } = getGeneTable(symbols, geneIds);
    warnings.push(...gw);
    progress.report(0.95, 'Placing spots');
    return getAssembledDataset(
      {
        platform,
        geometry,
        hdBins: hdSum ? { nativeUm: hdSum.nativeUm, binUm: hdSum.binUm, angleDeg } : undefined,
        format,
        matrix,
        genes,
        ids,
        x,
        y,
        inTissue,
        annotations,
        files,
        warnings,
        frameScales,
        frameSource: sfItem ? { file: sfItem.label, kind: 'scalefactors' } : { file: 'spatial/scalefactors_json.json', kind: 'missing' },
        spotDiameterFullres,
        images,
      },
      opts,
    );
  },
};
