/**
 * JPEG 2000 decoding through @cornerstonejs/codec-openjpeg (OpenJPEG compiled to WASM), shared by
 * the Node and browser codecs. The emscripten factory is passed in by the edge that knows how to
 * load it (Node resolves the .wasm beside the glue; a worker passes the bundler's asset URL).
 */
import type { J2kImage } from './codec.ts';

interface OpenJpegFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned: boolean;
}
interface OpenJpegDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): OpenJpegFrameInfo;
  delete?(): void;
}
export interface OpenJpegModule {
  J2KDecoder: new () => OpenJpegDecoder;
}
export type OpenJpegFactory = (moduleArg?: { locateFile?: (path: string, prefix: string) => string }) => Promise<OpenJpegModule>;

/** Interleaved OpenJPEG output (8- or 16-bit samples) as 8-bit samples. */
export function j2kTo8Bit(info: OpenJpegFrameInfo, out: Uint8Array): J2kImage {
  if (info.bitsPerSample > 8) {
    const n = info.width * info.height * info.componentCount;
    const src = new Uint16Array(out.buffer, out.byteOffset, n);
    const data = new Uint8Array(n);
    const shift = info.bitsPerSample - 8;
    for (let i = 0; i < n; i++) data[i] = src[i] >> shift;
    return { width: info.width, height: info.height, components: info.componentCount, data };
  }
  return { width: info.width, height: info.height, components: info.componentCount, data: out };
}

export type { OpenJpegFrameInfo };

export class OpenJpegDecoderPool {
  private module: Promise<OpenJpegModule> | null = null;
  private decoder: OpenJpegDecoder | null = null;

  constructor(
    private readonly factory: () => Promise<OpenJpegModule>,
  ) {}

  async decode(bytes: Uint8Array): Promise<J2kImage> {
    if (!this.module) this.module = this.factory();
    const mod = await this.module;
    // One decoder per instance: decode() is synchronous, so calls never interleave.
    if (!this.decoder) this.decoder = new mod.J2KDecoder();
    const dec = this.decoder;
    const input = dec.getEncodedBuffer(bytes.length);
    input.set(bytes);
    try {
      dec.decode();
    } catch (e) {
      // a failed decode can leave the decoder in a bad state: start fresh next time
      this.decoder = null;
      throw new Error(`JPEG 2000 decode failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    // copy out of the WASM heap, which the next decode reuses
    return j2kTo8Bit(dec.getFrameInfo(), dec.getDecodedBuffer().slice());
  }
}
