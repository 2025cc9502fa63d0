/**
 * Which dropped files are a slide and which are spatial-transcriptomics data. By name first
 * (slide formats vs ST tables / matrices / Space Ranger spatial/ folders), then by content for
 * files whose name says nothing (TIFF or JPEG/PNG magic = slide, HDF5 = ST).
 */

const SLIDE_EXT = /\.(svs|tif|tiff|ndpi|vms|vmu|scn|mrxs|bif|svslide|dzi|jp2|j2k|jpg|jpeg|png|webp|bmp|gif)$/i;
const ST_EXT = /\.(h5|hdf5|h5ad|mtx|mtx\.gz|tsv|tsv\.gz|csv|csv\.gz|txt|txt\.gz|json|parquet|gz)$/i;
/** images that belong to a Space Ranger spatial/ folder (not the slide) */
const SPATIAL_IMAGE = /(^|\/)(tissue_hires_image\.png|tissue_lowres_image\.png|detected_tissue_image\.jpg|aligned_fiducials\.jpg|aligned_tissue_image\.jpg|cytassist_image\.tiff?)$/i;
const JUNK = /(^|\/)(\.DS_Store|Thumbs\.db|desktop\.ini|\._[^/]*)$/i;
/** Space Ranger's feature slices and molecule table: not count matrices the viewer reads */
const SPACERANGER_OTHER = /(^|\/)(feature_slice\.h5|molecule_info\.h5)$/i;
/**
 * Visium HD cell segmentation outlines (segmented_outputs/*.geojson: hundreds of thousands of
 * cells, not a pathologist's annotations): left out when they come with ST files (a whole outs/
 * folder dropped), read as annotations when dropped on their own.
 */
const SEGMENTATION = /(^|\/)(segmented_outputs\/[^/]*\.geojson|[^/]*(cell|nucleus)_segmentations\.geojson)$/i;

export type DroppedKind = 'slide' | 'st' | 'annotations' | 'unknown' | 'junk';

/** GeoJSON features (a QuPath export), by the start of a .json file */
const GEOJSON_HEAD = /"type"\s*:\s*"(FeatureCollection|Feature)"/;

export function getDroppedKindByName(path: string): DroppedKind {
  if (JUNK.test(path) || SPACERANGER_OTHER.test(path)) return 'junk';
  if (SPATIAL_IMAGE.test(path)) return 'st';
  if (/\.geojson$/i.test(path)) return 'annotations';
  // tiles of a DZI pyramid (<name>_files/<level>/<col>_<row>.jpeg)
  if (/_files\/\d+\/\d+_\d+\.(jpe?g|png|webp)$/i.test(path)) return 'slide';
  if (SLIDE_EXT.test(path)) return 'slide';
  if (ST_EXT.test(path)) return 'st';
  return 'unknown';
}

/** Sniff the first bytes of a file whose name did not tell. */
export function getDroppedKindByContent(head: Uint8Array): DroppedKind {
  const b = head;
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && (b[2] === 0x2a || b[2] === 0x2b)) || (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0x00))) return 'slide';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'slide';
  if (b.length >= 4 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'slide';
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x48 && b[2] === 0x44 && b[3] === 0x46) return 'st';
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'st';
  return 'unknown';
}

export interface RoutedDrop {
  slide: File[];
  st: File[];
  /** annotations (QuPath GeoJSON) */
  annotations: File[];
  /** names that say nothing and contents that were not recognised */
  unknown: File[];
  /** system files (.DS_Store, ...) left out */
  ignored: string[];
}

/** Split dropped files (names are relative paths for folder drops) into slide and ST inputs. */
export async function getRoutedDrop(files: File[]): Promise<RoutedDrop> {
  const out: RoutedDrop = { slide: [], st: [], annotations: [], unknown: [], ignored: [] };
  const segmentation: File[] = [];
  for (const f of files) {
    if (SEGMENTATION.test(f.name)) {
      segmentation.push(f);
      continue;
    }
    let kind = getDroppedKindByName(f.name);
    // a .json that holds GeoJSON features is annotations (Space Ranger's scalefactors_json.json is not)
    if (kind === 'st' && /\.json$/i.test(f.name) && GEOJSON_HEAD.test(new TextDecoder().decode(await f.slice(0, 4096).arrayBuffer()))) kind = 'annotations';
    if (kind === 'unknown' && f.size > 0) kind = getDroppedKindByContent(new Uint8Array(await f.slice(0, 8).arrayBuffer()));
    if (kind === 'slide') out.slide.push(f);
    else if (kind === 'st') out.st.push(f);
    else if (kind === 'annotations') out.annotations.push(f);
    else if (kind === 'unknown') out.unknown.push(f);
    else out.ignored.push(f.name);
  }
  if (out.st.length) out.ignored.push(...segmentation.map((f) => f.name));
  else out.annotations.push(...segmentation);
  // a folder with several images and ST files: only the largest image is the slide; other
  // images (e.g. a thumbnail next to the slide) go with the ST files, which report them
  const dzi = out.slide.some((f) => /\.dzi$/i.test(f.name));
  if (!dzi && out.slide.length > 1) {
    const sorted = [...out.slide].sort((a, b) => b.size - a.size);
    out.slide = [sorted[0]];
    out.st.push(...sorted.slice(1));
  }
  return out;
}
