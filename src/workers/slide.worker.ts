/**
 * Slide worker: opens one slide with the browser codec (createImageBitmap + OffscreenCanvas,
 * OpenJPEG WASM in a blob sub-worker for JPEG 2000) and answers tile / region / associated-image requests.
 * Tiles go back as transferable ImageBitmaps, regions as transferred RGBA buffers.
 */
/// <reference lib="webworker" />
import { createCanvasCodec } from '../core/image/browser/canvas-codec.ts';
import { slideInputFromFiles } from '../core/slide/bytes/blob-source.ts';
import { openUrlSlideInput } from '../core/slide/bytes/url-source.ts';
import { loadSlide } from '../core/slide/load-slide.ts';
import type { RgbaImage, SlideSource } from '../core/slide/types.ts';
import { createBlobWorkerJ2kDecoder } from './slide-j2k.ts';
import type { SlideWorkerRequest, SlideWorkerResponse } from './slide-protocol.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;

const codec = createCanvasCodec({ decodeJpeg2000: createBlobWorkerJ2kDecoder() });

let slide: SlideSource | null = null;
const running = new Map<number, AbortController>();

function reply(msg: SlideWorkerResponse, transfer: Transferable[] = []): void {
  scope.postMessage(msg, transfer);
}

function fail(id: number, e: unknown): void {
  const name = e instanceof Error || e instanceof DOMException ? e.name : 'Error';
  const message = e instanceof Error || e instanceof DOMException ? e.message : String(e);
  reply({ id, ok: false, name, message });
}

function sendRgba(id: number, img: RgbaImage): void {
  // copy out of a cached tile so the cache keeps its pixels
  const buffer = img.data.slice().buffer as ArrayBuffer;
  reply({ id, ok: true, kind: 'rgba', width: img.width, height: img.height, buffer }, [buffer]);
}

async function handle(msg: SlideWorkerRequest): Promise<void> {
  if (msg.type === 'abort') {
    running.get(msg.id)?.abort(new DOMException('The operation was aborted.', 'AbortError'));
    return;
  }
  if (msg.type === 'close') {
    slide?.close();
    slide = null;
    return;
  }
  const ctrl = new AbortController();
  running.set(msg.id, ctrl);
  const { signal } = ctrl;
  try {
    if (msg.type === 'open') {
      const input = typeof msg.input === 'string' ? await openUrlSlideInput(msg.input, signal) : slideInputFromFiles(msg.input);
      slide?.close();
      slide = await loadSlide(input, { codec, mpp: msg.mpp, cacheBytes: msg.cacheBytes, signal });
      reply({ id: msg.id, ok: true, kind: 'meta', meta: slide.meta });
      return;
    }
    if (!slide) throw new Error('no slide is open in this worker');
    if (msg.type === 'tile') {
      const img = await slide.readTile(msg.level, msg.col, msg.row, signal);
      const bitmap = await createImageBitmap(new ImageData(new Uint8ClampedArray(img.data), img.width, img.height), {
        premultiplyAlpha: 'none',
        colorSpaceConversion: 'none',
      });
      reply({ id: msg.id, ok: true, kind: 'bitmap', bitmap }, [bitmap]);
    } else if (msg.type === 'region') {
      sendRgba(msg.id, await slide.readRegion(msg.level, msg.x, msg.y, msg.width, msg.height, signal));
    } else if (msg.type === 'associated') {
      sendRgba(msg.id, await slide.readAssociated(msg.name, signal));
    }
  } catch (e) {
    fail(msg.id, e);
  } finally {
    running.delete(msg.id);
  }
}

scope.onmessage = (ev: MessageEvent<SlideWorkerRequest>) => {
  void handle(ev.data);
};
