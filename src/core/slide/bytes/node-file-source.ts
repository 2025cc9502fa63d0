/** ByteSource over a local file with fs.promises (Node only: CLI and tests). */
import { type FileHandle, open, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SlideError } from '../types.ts';
import type { ByteSource, SlideInput } from './byte-source.ts';
import { throwIfAborted } from './byte-source.ts';

export class NodeFileByteSource implements ByteSource {
  readonly name: string;
  private constructor(
    private readonly fh: FileHandle,
    readonly size: number,
    readonly path: string,
  ) {
    this.name = basename(path);
  }

  static async open(path: string): Promise<NodeFileByteSource> {
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(path);
    } catch {
      throw new SlideError(path, 'file not found.', 'Check the path.');
    }
    if (st.isDirectory()) {
      throw new SlideError(path, 'is a folder, not a slide file.', 'Give the slide file itself (for Deep Zoom, the .dzi file).');
    }
    const fh = await open(path, 'r');
    return new NodeFileByteSource(fh, st.size, path);
  }

  async read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    throwIfAborted(signal);
    const end = Math.min(this.size, offset + length);
    if (end <= offset) return new Uint8Array(0);
    const buf = new Uint8Array(end - offset);
    let done = 0;
    while (done < buf.length) {
      const { bytesRead } = await this.fh.read(buf, done, buf.length - done, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === buf.length ? buf : buf.subarray(0, done);
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

/** A local slide path; siblings (DZI tiles) are read relative to its folder. */
export async function openNodeSlideInput(path: string): Promise<SlideInput> {
  const source = await NodeFileByteSource.open(path);
  const dir = dirname(path);
  return {
    source,
    siblings: async (rel) => {
      try {
        return new Uint8Array(await readFile(join(dir, rel)));
      } catch {
        return null;
      }
    },
  };
}
