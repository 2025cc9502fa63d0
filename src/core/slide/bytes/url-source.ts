/**
 * ByteSource over a URL with HTTP Range requests. A server that ignores Range (200 instead of
 * 206) is refused with a clear SlideError unless the whole file is smaller than the first
 * request: a big slide is never downloaded in full behind the user's back.
 */
import { SlideError } from '../types.ts';
import type { ByteSource, SiblingReader, SlideInput } from './byte-source.ts';
import { throwIfAborted } from './byte-source.ts';

const FIRST_READ = 64 * 1024;

function nameOfUrl(url: string): string {
  try {
    const u = new URL(url);
    const last = u.pathname.split('/').filter(Boolean).pop();
    return last ? decodeURIComponent(last) : u.host;
  } catch {
    return url;
  }
}

function rangeError(url: string, detail: string): SlideError {
  return new SlideError(
    url,
    `server does not answer range requests (${detail}).`,
    'Serve the slide from a server with HTTP Range support (most static servers, S3, nginx) or download it and open the file.',
  );
}

async function fetchOrThrow(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (e) {
    if (init.signal?.aborted) throw e;
    throw new SlideError(url, `could not be fetched (${e instanceof Error ? e.message : String(e)}).`, 'Check the URL and that the server allows this origin (CORS).');
  }
}

export class UrlByteSource implements ByteSource {
  readonly name: string;
  /** Bytes received from the server, for tests and diagnostics. */
  bytesTransferred = 0;

  private constructor(
    readonly url: string,
    readonly size: number,
    private head: Uint8Array,
  ) {
    this.name = nameOfUrl(url);
  }

  /** Open a URL: one ranged GET for the first 64 KiB tells the size and whether Range works. */
  static async open(url: string, signal?: AbortSignal): Promise<UrlByteSource> {
    const res = await fetchOrThrow(url, { headers: { Range: `bytes=0-${FIRST_READ - 1}` }, signal });
    if (res.status === 206) {
      const cr = res.headers.get('Content-Range') ?? '';
      const m = /\/(\d+)\s*$/.exec(cr);
      if (!m) {
        await res.body?.cancel();
        throw rangeError(url, 'a 206 answer without the file size in Content-Range');
      }
      const head = new Uint8Array(await res.arrayBuffer());
      const src = new UrlByteSource(url, Number(m[1]), head);
      src.bytesTransferred += head.length;
      return src;
    }
    if (res.status === 200) {
      const len = Number(res.headers.get('Content-Length') ?? Number.NaN);
      if (Number.isFinite(len) && len <= FIRST_READ) {
        // the whole (small) file came back: nothing was downloaded that a range would have saved
        const head = new Uint8Array(await res.arrayBuffer());
        const src = new UrlByteSource(url, head.length, head);
        src.bytesTransferred += head.length;
        return src;
      }
      await res.body?.cancel();
      throw rangeError(url, 'it sent the whole file with status 200 instead of 206 Partial Content');
    }
    await res.body?.cancel();
    if (res.status === 404) throw new SlideError(url, 'was not found on the server (HTTP 404).', 'Check the URL.');
    throw new SlideError(url, `could not be read: the server answered HTTP ${res.status}.`, 'Check the URL and the server.');
  }

  async read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    throwIfAborted(signal);
    const end = Math.min(this.size, offset + length);
    if (end <= offset) return new Uint8Array(0);
    if (end <= this.head.length) return this.head.slice(offset, end);
    const res = await fetchOrThrow(this.url, { headers: { Range: `bytes=${offset}-${end - 1}` }, signal });
    if (res.status !== 206) {
      await res.body?.cancel();
      throw rangeError(this.url, `status ${res.status} for a ranged read`);
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    this.bytesTransferred += bytes.length;
    return bytes.length > end - offset ? bytes.subarray(0, end - offset) : bytes;
  }
}

/** Siblings of a URL (DZI tiles) are read whole with plain GETs, relative to the main URL. */
export function urlSiblings(url: string): SiblingReader {
  return async (rel, signal) => {
    const target = new URL(rel, url).toString();
    const res = await fetchOrThrow(target, { signal });
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new SlideError(target, `could not be read: the server answered HTTP ${res.status}.`, 'Check the server.');
    }
    return new Uint8Array(await res.arrayBuffer());
  };
}

/**
 * A URL input. A `.dzi` descriptor is small and read whole (its tiles are separate files);
 * everything else must be readable with Range requests.
 */
export async function openUrlSlideInput(url: string, signal?: AbortSignal): Promise<SlideInput> {
  if (/\.dzi(\?|#|$)/i.test(url)) {
    const res = await fetchOrThrow(url, { signal });
    if (!res.ok) {
      await res.body?.cancel();
      throw new SlideError(url, `could not be read: the server answered HTTP ${res.status}.`, 'Check the URL.');
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    const name = nameOfUrl(url);
    const source: ByteSource = {
      name,
      size: bytes.length,
      read: async (o, l) => bytes.slice(o, Math.min(bytes.length, o + l)),
    };
    return { source, siblings: urlSiblings(url) };
  }
  const source = await UrlByteSource.open(url, signal);
  return { source, siblings: urlSiblings(url) };
}
