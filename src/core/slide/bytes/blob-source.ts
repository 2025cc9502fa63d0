/** ByteSource over a Blob or File (browser main thread, workers, and Node 20's Blob). */
import type { ByteSource, SiblingReader, SlideInput } from './byte-source.ts';
import { throwIfAborted } from './byte-source.ts';

export class BlobByteSource implements ByteSource {
  readonly size: number;
  constructor(
    private readonly blob: Blob,
    readonly name: string = (blob as File).name ?? 'file',
  ) {
    this.size = blob.size;
  }

  async read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    throwIfAborted(signal);
    const end = Math.min(this.size, offset + length);
    if (end <= offset) return new Uint8Array(0);
    const buf = await this.blob.slice(offset, end).arrayBuffer();
    return new Uint8Array(buf);
  }
}

/** The path of a dropped file inside its folder ('' when dropped alone). */
function relativePathOf(f: File): string {
  const rel = (f as File & { webkitRelativePath?: string }).webkitRelativePath;
  return rel && rel.length > 0 ? rel : f.name;
}

const MAIN_EXTENSIONS = /\.(dzi|svs|tif|tiff|ndpi|btf|tf8|jpg|jpeg|png|webp)$/i;

/**
 * One dropped file, or a dropped folder / multi-selection (e.g. `name.dzi` + `name_files/...`):
 * the main file is the .dzi if there is one, else the first file with a slide extension.
 */
export function slideInputFromFiles(input: File | File[]): SlideInput {
  const files = Array.isArray(input) ? input : [input];
  if (files.length === 0) throw new Error('no files were given');
  const main = files.find((f) => /\.dzi$/i.test(f.name)) ?? files.find((f) => MAIN_EXTENSIONS.test(f.name)) ?? files[0];
  const mainPath = relativePathOf(main);
  const baseDir = mainPath.includes('/') ? mainPath.slice(0, mainPath.lastIndexOf('/') + 1) : '';
  const byPath = new Map<string, File>();
  for (const f of files) byPath.set(relativePathOf(f), f);
  const siblings: SiblingReader = async (rel) => {
    const f = byPath.get(baseDir + rel) ?? byPath.get(rel);
    if (f) return new Uint8Array(await f.arrayBuffer());
    // tolerate a missing top folder in webkitRelativePath (files picked instead of a folder)
    for (const [p, file] of byPath) if (p.endsWith(`/${rel}`)) return new Uint8Array(await file.arrayBuffer());
    return null;
  };
  return {
    source: new BlobByteSource(main, main.name),
    siblings,
    fileNames: files.map((f) => relativePathOf(f).slice(baseDir.length)),
  };
}
